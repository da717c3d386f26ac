// Reloading a paged list without losing the officer's place: the pages are read again from the
// start until they hold as many rows as were loaded before (or the list ends), so the rows on
// screen, and the scroll position over them, stay where they were.

export interface Page<R> {
  rows: R[];
  /** Where the next page starts; null at the end of the list. */
  next: string | null;
}

/**
 * The first page of `fetch`, extended with the pages after it until it holds at least `count`
 * rows or the list ends. Anything else the first page carries (a total) is kept.
 */
export async function loadThrough<R, P extends Page<R>>(
  fetch: (after: string | null) => Promise<P>,
  count: number,
): Promise<P> {
  const first = await fetch(null);
  let rows = first.rows;
  let next = first.next;
  while (next !== null && rows.length < count) {
    const page = await fetch(next);
    rows = rows.concat(page.rows);
    next = page.next;
  }
  return { ...first, rows, next };
}
