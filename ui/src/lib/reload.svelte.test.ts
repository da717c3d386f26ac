// @vitest-environment happy-dom
// (Effects run only in a browser-like environment.)
import { flushSync } from "svelte";
import { expect, it } from "vitest";
import { app, reloadAfterSync } from "./app-state.svelte";
import { syncView } from "./fixtures";

it("reloads a screen once for each sync that changed records here, and not for others", () => {
  app.sync = syncView({ data_generation: 3 });
  let reloads = 0;
  const stop = $effect.root(() => reloadAfterSync(() => reloads++));
  flushSync();
  expect(reloads).toBe(0);

  // The status line asks again: more pending, a sync that only sent.
  app.sync = syncView({ data_generation: 3, pending: 2 });
  flushSync();
  expect(reloads).toBe(0);

  app.sync = syncView({ data_generation: 4 });
  flushSync();
  expect(reloads).toBe(1);
  app.sync = syncView({ data_generation: 4, last_result: "Đã nhận 1 thay đổi." });
  flushSync();
  expect(reloads).toBe(1);
  app.sync = syncView({ data_generation: 6 });
  flushSync();
  expect(reloads).toBe(2);
  stop();
});
