// The UI's words and the Vietnamese ways of writing numbers, money and dates.
//
// Vietnamese is the default; English is there for advisers and developers. Every key exists in
// both dictionaries (the type of `en` makes a missing key a compile error). Numbers are written
// by hand rather than with Intl so that they do not depend on the ICU data of the webview:
// `1.646`, `522,6 triệu đồng`, dates `dd/mm/yyyy` — as on the commune's paper forms.

export type Lang = "vi" | "en";

export const LANGS: readonly Lang[] = ["vi", "en"];

const vi = {
  "app.title": "Khuyến học",
  "app.subtitle": "Sổ Hội Khuyến học xã, phường",
  "app.loading": "Đang mở cơ sở dữ liệu…",
  "app.error": "Không mở được cơ sở dữ liệu",
  "info.heading": "Thông tin phần mềm",
  "info.version": "Phiên bản",
  "info.database": "Tệp cơ sở dữ liệu",
  "info.schema": "Phiên bản dữ liệu",
  "lang.switch": "English",
  "error.ipc": "Không gọi được phần lõi của ứng dụng: {detail}",
} as const;

export type Key = keyof typeof vi;

const en: Record<Key, string> = {
  "app.title": "Khuyến học",
  "app.subtitle": "Register of the commune Study Promotion Association",
  "app.loading": "Opening the database…",
  "app.error": "The database could not be opened",
  "info.heading": "About this app",
  "info.version": "Version",
  "info.database": "Database file",
  "info.schema": "Data version",
  "lang.switch": "Tiếng Việt",
  "error.ipc": "The app core could not be reached: {detail}",
};

const dictionaries: Record<Lang, Record<Key, string>> = { vi, en };

let current: Lang = "vi";

export function getLang(): Lang {
  return current;
}

export function setLang(lang: Lang): void {
  current = lang;
}

export function isLang(value: unknown): value is Lang {
  return typeof value === "string" && (LANGS as readonly string[]).includes(value);
}

/** The text for `key`, with `{name}` placeholders filled from `params`. */
export function t(key: Key, params: Record<string, string | number> = {}, lang: Lang = current): string {
  const text = dictionaries[lang][key];
  return text.replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in params ? String(params[name]) : whole,
  );
}

const SEPARATORS: Record<Lang, { group: string; decimal: string }> = {
  vi: { group: ".", decimal: "," },
  en: { group: ",", decimal: "." },
};

/**
 * A number with thousands grouped and at most `decimals` decimals (trailing zeros dropped):
 * vi `1.646`, `2.500.000`, `522,6`; en `1,646`, `522.6`.
 */
export function formatNumber(value: number, lang: Lang = current, decimals = 0): string {
  if (!Number.isFinite(value)) {
    throw new RangeError(`not a finite number: ${value}`);
  }
  const { group, decimal } = SEPARATORS[lang];
  const negative = value < 0;
  const [int, frac = ""] = Math.abs(value).toFixed(decimals).split(".");
  const grouped = int.replace(/\B(?=(\d{3})+(?!\d))/g, group);
  const fraction = frac.replace(/0+$/, "");
  const text = fraction ? `${grouped}${decimal}${fraction}` : grouped;
  return negative && /[1-9]/.test(text) ? `-${text}` : text;
}

const MONEY_WORDS: Record<Lang, { billion: string; million: string; unit: string }> = {
  vi: { billion: "tỷ đồng", million: "triệu đồng", unit: "đồng" },
  en: { billion: "billion VND", million: "million VND", unit: "VND" },
};

/** An amount in đồng written in full: `24.000 đồng`. */
export function formatDong(amount: number, lang: Lang = current): string {
  return `${formatNumber(Math.round(amount), lang)} ${MONEY_WORDS[lang].unit}`;
}

/**
 * An amount in đồng as reports write it, in millions or billions with one decimal:
 * `522,6 triệu đồng`, `1,2 tỷ đồng`; amounts under a million are written in full.
 */
export function formatDongShort(amount: number, lang: Lang = current): string {
  const words = MONEY_WORDS[lang];
  const abs = Math.abs(amount);
  const sign = amount < 0 ? -1 : 1;
  // Tenths of the unit, rounded half away from zero on the amount itself (an exact division),
  // so 522.650.000 is 522,7 and −522.650.000 is −522,7.
  if (abs >= 999_950_000) {
    return `${formatNumber((sign * Math.round(abs / 100_000_000)) / 10, lang, 1)} ${words.billion}`;
  }
  if (abs >= 1_000_000) {
    return `${formatNumber((sign * Math.round(abs / 100_000)) / 10, lang, 1)} ${words.million}`;
  }
  return formatDong(amount, lang);
}

const pad2 = (n: number) => String(n).padStart(2, "0");

/**
 * A date as `dd/mm/yyyy`. Takes an ISO date `yyyy-mm-dd` (what the core sends; read as a
 * calendar date, never shifted by the time zone) or a `Date` (its local calendar date).
 */
export function formatDate(date: string | Date): string {
  if (date instanceof Date) {
    if (Number.isNaN(date.getTime())) throw new RangeError("invalid Date");
    return `${pad2(date.getDate())}/${pad2(date.getMonth() + 1)}/${date.getFullYear()}`;
  }
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(date);
  if (!m || !isCalendarDate(+m[1], +m[2], +m[3])) {
    throw new RangeError(`not an ISO date: ${date}`);
  }
  return `${m[3]}/${m[2]}/${m[1]}`;
}

/**
 * Reads `dd/mm/yyyy` (also `d/m/yyyy`, `-` or `.` between parts) into an ISO date
 * `yyyy-mm-dd`; `null` when it is not a real calendar date.
 */
export function parseDate(text: string): string | null {
  const m = /^\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})\s*$/.exec(text);
  if (!m) return null;
  const [d, mo, y] = [+m[1], +m[2], +m[3]];
  if (!isCalendarDate(y, mo, d)) return null;
  return `${y}-${pad2(mo)}-${pad2(d)}`;
}

function isCalendarDate(y: number, m: number, d: number): boolean {
  if (y < 1 || m < 1 || m > 12 || d < 1) return false;
  const days = [31, y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
  return d <= days[m - 1];
}
