// Field-level messages for forms: the core names each wrong field; a form shows each message
// under its field and a summary for fields it has no input for.

import { CommandError, toCommandError } from "./api";

export interface FormErrors {
  /** field -> message */
  fields: Record<string, string>;
  /** A message not tied to a field shown on this form (or the whole error). */
  general: string | null;
}

export const NO_ERRORS: FormErrors = { fields: {}, general: null };

/** Splits an error into messages for the form's own fields and a general one. */
export function formErrors(reason: unknown, formFields: readonly string[]): FormErrors {
  const e: CommandError = toCommandError(reason);
  const fields: Record<string, string> = {};
  const others: string[] = [];
  for (const f of e.fields) {
    if (formFields.includes(f.field)) fields[f.field] = f.message;
    else others.push(f.message);
  }
  let general: string | null = null;
  if (e.fields.length === 0) general = e.message;
  else if (others.length > 0) general = others.join(" ");
  return { fields, general };
}

/** Text fields of a form with empty strings turned into null (what the core calls "not given"). */
export function blanksToNull<T extends Record<string, unknown>>(form: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(form)) out[k] = typeof v === "string" && v.trim() === "" ? null : v;
  return out as T;
}
