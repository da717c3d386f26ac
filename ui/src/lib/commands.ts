// One typed function per command of the shell (src-tauri/src/commands.rs). Argument names are
// the Rust parameter names in camelCase, as Tauri expects.

import { Channel } from "@tauri-apps/api/core";
import { call } from "./api";
import type { BatchView } from "./bindings/BatchView";
import type { ConflictView } from "./bindings/ConflictView";
import type { Dashboard } from "./bindings/Dashboard";
import type { DuplicateView } from "./bindings/DuplicateView";
import type { EnrollForm } from "./bindings/EnrollForm";
import type { ExportForm } from "./bindings/ExportForm";
import type { FileResult } from "./bindings/FileResult";
import type { ImportPreviewView } from "./bindings/ImportPreviewView";
import type { ImportProgress } from "./bindings/ImportProgress";
import type { ImportResultView } from "./bindings/ImportResultView";
import type { MemberDetail } from "./bindings/MemberDetail";
import type { MemberForm } from "./bindings/MemberForm";
import type { MemberPageView } from "./bindings/MemberPageView";
import type { MemberQueryForm } from "./bindings/MemberQueryForm";
import type { MemberRow } from "./bindings/MemberRow";
import type { OfficerForm } from "./bindings/OfficerForm";
import type { OfficerView } from "./bindings/OfficerView";
import type { ParkedView } from "./bindings/ParkedView";
import type { SessionState } from "./bindings/SessionState";
import type { SetupForm } from "./bindings/SetupForm";
import type { StatusForm } from "./bindings/StatusForm";
import type { SyncView } from "./bindings/SyncView";
import type { UnitForm } from "./bindings/UnitForm";
import type { UnitView } from "./bindings/UnitView";

export const session = () => call<SessionState>("session");
export const setup = (form: SetupForm) => call<SessionState>("setup", { form });
export const joinCommune = (form: EnrollForm) => call<SessionState>("join_commune", { form });
export const login = (username: string, pin: string) => call<SessionState>("login", { username, pin });
export const logout = () => call<SessionState>("logout");
export const setLanguage = (lang: string) => call<SessionState>("set_lang", { lang });

export const dashboard = () => call<Dashboard>("dashboard");

export const units = () => call<UnitView[]>("units");
export const unitAdd = (form: UnitForm) => call<UnitView>("unit_add", { form });
export const unitRename = (id: string, name: string) => call<UnitView>("unit_rename", { id, name });
export const unitMove = (id: string, parentId: string) => call<UnitView>("unit_move", { id, parentId });
export const unitMerge = (ids: string[], into: string) => call<UnitView>("unit_merge", { ids, into });

export const membersPage = (query: MemberQueryForm) => call<MemberPageView>("members_page", { query });
export const memberDetail = (id: string) => call<MemberDetail>("member_detail", { id });
export const memberSave = (form: MemberForm) => call<MemberRow>("member_save", { form });
export const memberSetStatus = (form: StatusForm) => call<MemberDetail>("member_set_status", { form });

export const importPreview = (path: string, unitId: string) =>
  call<ImportPreviewView>("import_preview", { path, unitId });

/** Commits the previewed import; `onProgress` hears every step. */
export function importCommit(skipInvalid: boolean, onProgress: (p: ImportProgress) => void) {
  const progress = new Channel<ImportProgress>();
  progress.onmessage = onProgress;
  return call<ImportResultView>("import_commit", { skipInvalid, progress });
}

export const exportMembers = (form: ExportForm) => call<FileResult>("export_members", { form });
export const backup = (path: string) => call<FileResult>("backup", { path });
export const restore = (path: string) => call<FileResult>("restore", { path });

export const officers = () => call<OfficerView[]>("officers");
export const officerAdd = (form: OfficerForm) => call<OfficerView>("officer_add", { form });
export const officerSetRole = (username: string, role: string, active: boolean) =>
  call<OfficerView>("officer_set_role", { username, role, active });
export const changePin = (username: string, oldPin: string | null, newPin: string) =>
  call<null>("change_pin", { username, oldPin, newPin });

export const syncView = () => call<SyncView>("sync_view");
export const enroll = (form: EnrollForm) => call<SyncView>("enroll", { form });
export const syncNow = () => call<SyncView>("sync_now");
export const conflicts = () => call<ConflictView[]>("conflicts");
export const resolveConflict = (id: number, useLost: boolean) => call<SyncView>("resolve_conflict", { id, useLost });
export const parked = () => call<ParkedView[]>("parked");
export const dismissParked = (opId: string) => call<SyncView>("dismiss_parked", { opId });
export const duplicates = () => call<DuplicateView[]>("duplicates");
export const mergeMembers = (survivor: string, other: string) => call<MemberRow>("merge_members", { survivor, other });
export const exportBatch = (path: string) => call<BatchView>("export_batch", { path });
export const importBatch = (path: string) => call<BatchView>("import_batch", { path });
