import { describe, expect, it } from "vitest";
import { loadThrough } from "./pages";

/** A list of `n` numbered rows served `size` at a time, recording each page asked for. */
function pagedList(n: number, size: number) {
  const asked: Array<string | null> = [];
  const fetch = async (after: string | null) => {
    asked.push(after);
    const start = after === null ? 0 : Number(after);
    const end = Math.min(n, start + size);
    const rows = Array.from({ length: end - start }, (_, i) => start + i);
    return { rows, next: end < n ? String(end) : null, total: after === null ? n : null };
  };
  return { fetch, asked };
}

describe("a reloaded list keeps the rows the officer had reached", () => {
  it("reads pages again until it holds as many rows as before", async () => {
    const list = pagedList(1000, 200);
    const page = await loadThrough(list.fetch, 450);
    expect(page.rows).toEqual(Array.from({ length: 600 }, (_, i) => i));
    expect(page.next).toBe("600");
    expect(page.total).toBe(1000);
    expect(list.asked).toEqual([null, "200", "400"]);
  });

  it("stops at the end of a list that got shorter", async () => {
    const list = pagedList(300, 200);
    const page = await loadThrough(list.fetch, 800);
    expect(page.rows).toHaveLength(300);
    expect(page.next).toBeNull();
    expect(list.asked).toEqual([null, "200"]);
  });

  it("reads only the first page when nothing was loaded", async () => {
    const list = pagedList(1000, 200);
    const page = await loadThrough(list.fetch, 0);
    expect(page.rows).toHaveLength(200);
    expect(list.asked).toEqual([null]);
  });
});
