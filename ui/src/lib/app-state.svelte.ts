// The app's reactive state: the session (who is logged in, which commune), the language, the
// screen on display and the sync status (refreshed by the status line). `tr` reads the language from here, so every text re-renders when the
// officer switches language.

import { untrack } from "svelte";
import type { SessionState } from "./bindings/SessionState";
import type { SyncView } from "./bindings/SyncView";
import { isLang, setLang, t, type Key, type Lang } from "./i18n";

export type Screen = "dashboard" | "units" | "members" | "import" | "files" | "officers" | "sync" | "settings";

export const app = $state<{ session: SessionState | null; lang: Lang; screen: Screen; sync: SyncView | null }>({
  session: null,
  lang: "vi",
  screen: "dashboard",
  sync: null,
});

/** Takes a fresh session from the core (after login, logout, setup, language change). */
export function applySession(s: SessionState): void {
  app.session = s;
  const lang = isLang(s.lang) ? s.lang : "vi";
  app.lang = lang;
  setLang(lang);
}

export function tr(key: Key, params: Record<string, string | number> = {}): string {
  return t(key, params, app.lang);
}

/**
 * Calls `reload` each time a sync changes records on this laptop (`data_generation` moves), so
 * a screen shows what another laptop recorded without being left and opened again. Call it
 * while a component is being set up; the screen loads itself the first time.
 */
export function reloadAfterSync(reload: () => unknown): void {
  let seen = app.sync?.data_generation ?? 0;
  $effect(() => {
    const now = app.sync?.data_generation ?? 0;
    if (now !== seen) {
      seen = now;
      untrack(reload);
    }
  });
}
