// Windowing for long lists: which rows of a fixed-height list are on screen (plus a margin),
// so a list of 100,000 members renders a few dozen rows whatever the scroll position.

export interface Window {
  /** First row to render. */
  start: number;
  /** One past the last row to render. */
  end: number;
  /** Space above the first rendered row, in pixels. */
  offset: number;
  /** Height of the whole list, in pixels. */
  height: number;
}

export function visibleWindow(
  count: number,
  rowHeight: number,
  scrollTop: number,
  viewportHeight: number,
  overscan = 8,
): Window {
  const height = count * rowHeight;
  if (count === 0 || rowHeight <= 0) return { start: 0, end: 0, offset: 0, height: 0 };
  const top = Math.max(0, Math.min(scrollTop, Math.max(0, height - viewportHeight)));
  const first = Math.floor(top / rowHeight);
  const shown = Math.ceil(viewportHeight / rowHeight) + 1;
  const start = Math.max(0, first - overscan);
  const end = Math.min(count, first + shown + overscan);
  return { start, end, offset: start * rowHeight, height };
}

/** True when the rows on screen come within `margin` rows of the loaded end. */
export function needsMore(loaded: number, end: number, hasMore: boolean, margin = 40): boolean {
  return hasMore && end + margin >= loaded;
}
