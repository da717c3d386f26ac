//! The commands the UI calls (`ui/src/lib/commands.ts`). Each is one line into
//! [`khuyenhoc_app::App`]; `async` keeps the database work off the main thread. Argument names
//! are the UI's, in snake_case (Tauri maps `unitId` to `unit_id`).

use khuyenhoc_app::*;
use tauri::State;
use tauri::ipc::Channel;

use crate::Shell;

type S<'a> = State<'a, Shell>;

/// Version, database file and schema version.
#[tauri::command(async)]
pub fn app_info(shell: S<'_>) -> ApiResult<AppInfo> {
    shell.app()?.info()
}

#[tauri::command(async)]
pub fn session(shell: S<'_>) -> ApiResult<SessionState> {
    shell.app()?.session()
}

#[tauri::command(async)]
pub fn setup(shell: S<'_>, form: SetupForm) -> ApiResult<SessionState> {
    shell.app()?.setup(form)
}

/// A second laptop joins a commune on the server (enrolls, then the first sync).
#[tauri::command]
pub async fn join_commune(shell: S<'_>, form: EnrollForm) -> ApiResult<SessionState> {
    shell.app()?.join_commune(form).await
}

#[tauri::command(async)]
pub fn login(shell: S<'_>, username: String, pin: String) -> ApiResult<SessionState> {
    shell.app()?.login(username, pin)
}

#[tauri::command(async)]
pub fn logout(shell: S<'_>) -> ApiResult<SessionState> {
    shell.app()?.logout()
}

#[tauri::command(async)]
pub fn set_lang(shell: S<'_>, lang: String) -> ApiResult<SessionState> {
    shell.app()?.set_lang(lang)
}

#[tauri::command(async)]
pub fn dashboard(shell: S<'_>) -> ApiResult<Dashboard> {
    shell.app()?.dashboard()
}

#[tauri::command(async)]
pub fn units(shell: S<'_>) -> ApiResult<Vec<UnitView>> {
    shell.app()?.units()
}

#[tauri::command(async)]
pub fn unit_add(shell: S<'_>, form: UnitForm) -> ApiResult<UnitView> {
    shell.app()?.unit_add(form)
}

#[tauri::command(async)]
pub fn unit_rename(shell: S<'_>, id: String, name: String) -> ApiResult<UnitView> {
    shell.app()?.unit_rename(id, name)
}

#[tauri::command(async)]
pub fn unit_move(shell: S<'_>, id: String, parent_id: String) -> ApiResult<UnitView> {
    shell.app()?.unit_move(id, parent_id)
}

#[tauri::command(async)]
pub fn unit_merge(shell: S<'_>, ids: Vec<String>, into: String) -> ApiResult<UnitView> {
    shell.app()?.unit_merge(ids, into)
}

#[tauri::command(async)]
pub fn members_page(shell: S<'_>, query: MemberQueryForm) -> ApiResult<MemberPageView> {
    shell.app()?.members_page(query)
}

#[tauri::command(async)]
pub fn member_detail(shell: S<'_>, id: String) -> ApiResult<MemberDetail> {
    shell.app()?.member_detail(id)
}

#[tauri::command(async)]
pub fn member_save(shell: S<'_>, form: MemberForm) -> ApiResult<MemberRow> {
    shell.app()?.member_save(form)
}

#[tauri::command(async)]
pub fn member_set_status(shell: S<'_>, form: StatusForm) -> ApiResult<MemberDetail> {
    shell.app()?.member_set_status(form)
}

#[tauri::command(async)]
pub fn import_preview(shell: S<'_>, path: String, unit_id: String) -> ApiResult<ImportPreviewView> {
    shell.app()?.import_preview(path, unit_id)
}

/// Progress goes to the window through `progress` as the commit runs.
#[tauri::command(async)]
pub fn import_commit(
    shell: S<'_>,
    skip_invalid: bool,
    progress: Channel<ImportProgress>,
) -> ApiResult<ImportResultView> {
    shell.app()?.import_commit(skip_invalid, &mut |p| {
        let _ = progress.send(p);
    })
}

#[tauri::command(async)]
pub fn export_members(shell: S<'_>, form: ExportForm) -> ApiResult<FileResult> {
    shell.app()?.export_members(form)
}

#[tauri::command(async)]
pub fn backup(shell: S<'_>, path: String) -> ApiResult<FileResult> {
    shell.app()?.backup(path)
}

#[tauri::command(async)]
pub fn restore(shell: S<'_>, path: String) -> ApiResult<FileResult> {
    shell.app()?.restore(path)
}

#[tauri::command(async)]
pub fn officers(shell: S<'_>) -> ApiResult<Vec<OfficerView>> {
    shell.app()?.officers()
}

#[tauri::command(async)]
pub fn officer_add(shell: S<'_>, form: OfficerForm) -> ApiResult<OfficerView> {
    shell.app()?.officer_add(form)
}

#[tauri::command(async)]
pub fn officer_set_role(
    shell: S<'_>,
    username: String,
    role: String,
    active: bool,
) -> ApiResult<OfficerView> {
    shell.app()?.officer_set_role(username, role, active)
}

#[tauri::command(async)]
pub fn change_pin(
    shell: S<'_>,
    username: String,
    old_pin: Option<String>,
    new_pin: String,
) -> ApiResult<()> {
    shell.app()?.change_pin(username, old_pin, new_pin)
}

#[tauri::command(async)]
pub fn sync_view(shell: S<'_>) -> ApiResult<SyncView> {
    shell.app()?.sync_view()
}

#[tauri::command]
pub async fn enroll(shell: S<'_>, form: EnrollForm) -> ApiResult<SyncView> {
    shell.app()?.enroll(form).await
}

/// "Đồng bộ ngay".
#[tauri::command]
pub async fn sync_now(shell: S<'_>) -> ApiResult<SyncView> {
    shell.app()?.sync_now().await
}

#[tauri::command(async)]
pub fn conflicts(shell: S<'_>) -> ApiResult<Vec<ConflictView>> {
    shell.app()?.conflicts()
}

#[tauri::command(async)]
pub fn resolve_conflict(shell: S<'_>, id: i64, use_lost: bool) -> ApiResult<SyncView> {
    shell.app()?.resolve_conflict(id, use_lost)
}

#[tauri::command(async)]
pub fn parked(shell: S<'_>) -> ApiResult<Vec<ParkedView>> {
    shell.app()?.parked()
}

#[tauri::command(async)]
pub fn dismiss_parked(shell: S<'_>, op_id: String) -> ApiResult<SyncView> {
    shell.app()?.dismiss_parked(op_id)
}

#[tauri::command(async)]
pub fn duplicates(shell: S<'_>) -> ApiResult<Vec<DuplicateView>> {
    shell.app()?.duplicates()
}

#[tauri::command(async)]
pub fn merge_members(shell: S<'_>, survivor: String, other: String) -> ApiResult<MemberRow> {
    shell.app()?.merge_members(survivor, other)
}

#[tauri::command(async)]
pub fn export_batch(shell: S<'_>, path: String) -> ApiResult<BatchView> {
    shell.app()?.export_batch(path)
}

#[tauri::command(async)]
pub fn import_batch(shell: S<'_>, path: String) -> ApiResult<BatchView> {
    shell.app()?.import_batch(path)
}
