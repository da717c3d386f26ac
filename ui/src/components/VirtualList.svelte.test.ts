// @vitest-environment happy-dom
// (The list is mounted: effects and bindings run only in a browser-like environment.)
import { createRawSnippet, flushSync, mount, unmount } from "svelte";
import { expect, it } from "vitest";
import VirtualList from "./VirtualList.svelte";

const row = createRawSnippet((n: () => number) => ({ render: () => `<span>Hội viên ${n()}</span>` }));

it("goes back to the first row when a new search lands, and only then", () => {
  const props = $state({ items: Array.from({ length: 500 }, (_, i) => i), row, top: 0 as unknown });
  const list = mount(VirtualList<number>, { target: document.body, props });
  flushSync();
  const box = document.querySelector<HTMLElement>('[data-testid="virtual-list"]')!;

  // The officer scrolls down to row 300.
  box.scrollTop = 300 * 36;
  box.dispatchEvent(new Event("scroll"));
  flushSync();
  expect(box.textContent).toContain("Hội viên 300");
  expect(box.textContent).not.toContain("Hội viên 0");

  // More rows arriving (the same list, further) keep the place.
  props.items = Array.from({ length: 700 }, (_, i) => i);
  flushSync();
  expect(box.scrollTop).toBe(300 * 36);
  expect(box.textContent).toContain("Hội viên 300");

  // A new search: its rows show from the top.
  props.items = Array.from({ length: 400 }, (_, i) => 1000 + i);
  props.top = 1;
  flushSync();
  expect(box.scrollTop).toBe(0);
  expect(box.textContent).toContain("Hội viên 1000");
  unmount(list);
});
