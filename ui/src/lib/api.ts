// The typed door to the Rust core: every screen calls commands through `call`, never `invoke`.
//
// Commands return `Result<T, ApiError>` in Rust; Tauri rejects the promise with the serialised
// `ApiError` ({code, message, fields}). `call` rethrows that as a `CommandError`, which is an
// `ApiError` (same fields) and an `Error` (a stack, `instanceof`). Anything else that goes wrong
// on the way (no Tauri runtime, an unknown command, a panic in the shell) becomes a
// `CommandError` with code `ipc`, so a screen handles one shape of failure.

import { invoke, type InvokeArgs } from "@tauri-apps/api/core";
import type { ApiError } from "./bindings/ApiError";
import type { AppInfo } from "./bindings/AppInfo";
import type { FieldMessage } from "./bindings/FieldMessage";
import { t } from "./i18n";

export type { ApiError, AppInfo, FieldMessage };

/** The code of failures that did not come from the core's own `ApiError`. */
export const IPC_ERROR = "ipc";

export class CommandError extends Error implements ApiError {
  readonly code: string;
  readonly fields: FieldMessage[];

  constructor(error: ApiError, options?: { cause?: unknown }) {
    super(error.message, options);
    this.name = "CommandError";
    this.code = error.code;
    this.fields = error.fields;
  }

  /** The message for one form field, if the core named it. */
  fieldMessage(field: string): string | undefined {
    return this.fields.find((f) => f.field === field)?.message;
  }
}

/** Whether `value` has the shape of the core's `ApiError`. */
export function isApiError(value: unknown): value is ApiError {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.code === "string" &&
    typeof v.message === "string" &&
    Array.isArray(v.fields) &&
    v.fields.every(
      (f) =>
        typeof f === "object" &&
        f !== null &&
        typeof (f as Record<string, unknown>).field === "string" &&
        typeof (f as Record<string, unknown>).message === "string",
    )
  );
}

/** Any rejection of `invoke` as a `CommandError`. */
export function toCommandError(reason: unknown): CommandError {
  if (reason instanceof CommandError) return reason;
  if (isApiError(reason)) {
    return new CommandError({ code: reason.code, message: reason.message, fields: reason.fields }, { cause: reason });
  }
  const detail = reason instanceof Error ? reason.message : String(reason);
  return new CommandError({ code: IPC_ERROR, message: t("error.ipc", { detail }), fields: [] }, { cause: reason });
}

/** Calls the command `cmd` of the shell; rejects with a `CommandError`. */
export async function call<T>(cmd: string, args?: InvokeArgs): Promise<T> {
  try {
    return await invoke<T>(cmd, args);
  } catch (reason) {
    throw toCommandError(reason);
  }
}

/** Version, database file and schema version of the running app. */
export function appInfo(): Promise<AppInfo> {
  return call<AppInfo>("app_info");
}
