// The sync status line in words, and the names of the fields a conflict can be about. Pure, so
// Vitest checks the wording without a window.

import type { SyncView } from "./bindings/SyncView";
import { formatNumber, t, type Key, type Lang } from "./i18n";

const pad2 = (n: number) => String(n).padStart(2, "0");

/** A moment as `dd/mm/yyyy HH:MM` on this laptop's clock. */
export function formatDateTime(ms: number): string {
  const d = new Date(ms);
  return `${pad2(d.getDate())}/${pad2(d.getMonth() + 1)}/${d.getFullYear()} ${pad2(d.getHours())}:${pad2(d.getMinutes())}`;
}

export type SyncTone = "off" | "running" | "error" | "pending" | "ok";

/** The status line: how it looks and what it says. */
export function syncLine(view: SyncView, lang: Lang): { tone: SyncTone; text: string } {
  const n = (x: number) => formatNumber(x, lang);
  if (!view.enrolled) return { tone: "off", text: t("sync.off", {}, lang) };
  const parts: string[] = [];
  let tone: SyncTone;
  if (view.running) {
    tone = "running";
    parts.push(t("sync.running", {}, lang));
  } else if (view.last_error) {
    tone = "error";
    parts.push(t("sync.failed", { error: view.last_error }, lang));
  } else if (view.pending > 0) {
    tone = "pending";
  } else {
    tone = "ok";
  }
  if (view.pending > 0) parts.push(t("sync.pending", { n: n(view.pending) }, lang));
  parts.push(
    view.last_success_ms === null
      ? t("sync.never", {}, lang)
      : t("sync.last", { time: formatDateTime(view.last_success_ms) }, lang),
  );
  if (view.conflicts > 0) parts.push(t("sync.conflicts", { n: n(view.conflicts) }, lang));
  if (view.parked > 0) parts.push(t("sync.parked", { n: n(view.parked) }, lang));
  return { tone, text: parts.join(" · ") };
}

const MEMBER_FIELDS: Record<string, Key> = {
  full_name: "member.fullName",
  gender: "member.gender",
  birth: "member.birth",
  phone: "member.phone",
  card_number: "member.card",
  address: "member.address",
  citizen_id: "member.citizenId",
  note: "member.note",
  unit_id: "member.unit",
  join_date: "member.joined",
};

/** The name of a field as the forms call it (its code when no form shows it). */
export function fieldLabel(entity: string, field: string, lang: Lang): string {
  const key = entity === "member" ? MEMBER_FIELDS[field] : field === "name" ? "units.name" : undefined;
  return key ? t(key, {}, lang) : field;
}
