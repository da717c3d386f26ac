import { describe, expect, it } from "vitest";
import { needsMore, visibleWindow } from "./virtual";

describe("windowing a long list", () => {
  it("renders only the rows on screen and a margin, whatever the length", () => {
    const w = visibleWindow(100_000, 36, 36 * 50_000, 720, 8);
    expect(w.start).toBe(50_000 - 8);
    expect(w.end).toBe(50_000 + 21 + 8);
    expect(w.end - w.start).toBeLessThan(40);
    expect(w.offset).toBe(w.start * 36);
    expect(w.height).toBe(3_600_000);
  });

  it("clamps a scroll position past the end", () => {
    const w = visibleWindow(100, 36, 999_999, 720, 0);
    expect(w.end).toBe(100);
    expect(w.start).toBe(100 - 20);
  });

  it("handles an empty list", () => {
    expect(visibleWindow(0, 36, 0, 720)).toEqual({ start: 0, end: 0, offset: 0, height: 0 });
  });

  it("asks for more rows only when the end comes near and more exist", () => {
    expect(needsMore(200, 170, true)).toBe(true);
    expect(needsMore(200, 100, true)).toBe(false);
    expect(needsMore(200, 199, false)).toBe(false);
  });
});
