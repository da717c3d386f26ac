//! The data the UI receives and sends. Plain strings and numbers (ids as text, dates already in
//! `dd/mm/yyyy` or a year, codes beside their localised names) so the screens hold no rules.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use khuyenhoc_domain::{Lang, Role};
use khuyenhoc_store::{Member, Officer, OrgUnit, StatusEvent};

/// An officer as shown in the header and the officers screen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct OfficerView {
    pub id: String,
    pub username: String,
    pub full_name: String,
    /// chairperson | secretary | treasurer | viewer
    pub role: String,
    pub role_name: String,
    pub active: bool,
    /// What the UI may offer (the store checks again on every change).
    pub can_edit_members: bool,
    pub can_edit_units: bool,
    pub can_backup: bool,
    pub can_restore: bool,
    pub can_manage_officers: bool,
}

impl OfficerView {
    pub fn new(o: &Officer, lang: Lang) -> Self {
        use khuyenhoc_domain::Permission::*;
        OfficerView {
            id: o.id.to_string(),
            username: o.username.clone(),
            full_name: o.full_name.clone(),
            role: o.role.code().into(),
            role_name: role_name(o.role, lang).into(),
            active: o.active,
            can_edit_members: o.role.allows(EditMembers),
            can_edit_units: o.role.allows(EditUnits),
            can_backup: o.role.allows(Backup),
            can_restore: o.role.allows(Restore),
            can_manage_officers: o.role.allows(ManageOfficers),
        }
    }
}

pub fn role_name(role: Role, lang: Lang) -> &'static str {
    match lang {
        Lang::Vi => role.name_vi(),
        Lang::En => role.name_en(),
    }
}

/// Where the app stands: not set up, set up but logged out, or working.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct SessionState {
    pub set_up: bool,
    pub commune: Option<UnitView>,
    pub officer: Option<OfficerView>,
    /// "vi" or "en"
    pub lang: String,
    /// Days since the last backup made on this laptop (`None`: never).
    pub days_since_backup: Option<i64>,
    /// True when a backup reminder should be shown (never backed up, or more than 7 days).
    pub backup_due: bool,
    /// This laptop joined a commune on the server (the unit's name) and waits for its data:
    /// set when enrolled but not set up yet.
    pub joined: Option<String>,
}

/// The first-run form.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, TS)]
pub struct SetupForm {
    pub province_name: String,
    pub province_code: Option<String>,
    pub commune_name: String,
    pub commune_code: Option<String>,
    pub username: String,
    pub full_name: String,
    pub pin: String,
}

/// A unit of the tree (flat; `parent_id` links them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct UnitView {
    pub id: String,
    pub parent_id: Option<String>,
    pub kind: String,
    pub kind_name: String,
    pub name: String,
    pub org_code: Option<String>,
    pub depth: i64,
    pub open: bool,
    /// dd/mm/yyyy when closed or merged.
    pub closed_on: Option<String>,
    pub merged_into: Option<String>,
}

impl UnitView {
    pub fn new(u: &OrgUnit) -> Self {
        UnitView {
            id: u.id.to_string(),
            parent_id: u.parent_id.map(|p| p.to_string()),
            kind: u.kind.clone(),
            kind_name: u.kind_name_vi.clone(),
            name: u.name.clone(),
            org_code: u.org_code.clone(),
            depth: u.depth,
            open: u.is_open(),
            closed_on: u.valid_to.as_deref().map(display_date),
            merged_into: u.merged_into.map(|m| m.to_string()),
        }
    }
}

/// A stored `yyyy-mm-dd` (or `yyyy`) as the officer writes it.
pub fn display_date(stored: &str) -> String {
    khuyenhoc_domain::PartialDate::from_storage(stored)
        .map(|d| d.to_string())
        .unwrap_or_else(|| stored.to_owned())
}

/// A unit form: add (no id) or rename.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, TS)]
pub struct UnitForm {
    pub parent_id: Option<String>,
    pub name: String,
    /// branch, group, committee, commune…
    pub kind: String,
    pub org_code: Option<String>,
    /// dd/mm/yyyy
    pub valid_from: Option<String>,
}

/// The dashboard's headline figures.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct Dashboard {
    pub commune_name: String,
    pub year: i32,
    pub members_active: i64,
    pub members_total: i64,
    pub branches: i64,
    pub population: Option<i64>,
    /// Active members as a percentage of the population (one decimal), when it is known.
    pub members_percent_of_population: Option<f64>,
    pub pending_changes: i64,
}

/// What the members screen asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, TS)]
pub struct MemberQueryForm {
    pub text: Option<String>,
    pub unit_id: Option<String>,
    /// active | moved_away | left | deceased
    pub status: Option<String>,
    pub limit: Option<u32>,
    pub after: Option<String>,
}

/// One line of the members list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct MemberRow {
    pub id: String,
    pub full_name: String,
    pub unit_id: String,
    pub unit_name: String,
    pub gender: Option<String>,
    /// dd/mm/yyyy or yyyy
    pub birth: Option<String>,
    pub phone: Option<String>,
    pub card_number: Option<String>,
    pub status: String,
    pub status_name: String,
}

impl MemberRow {
    pub fn new(m: &Member, lang: Lang) -> Self {
        MemberRow {
            id: m.id.to_string(),
            full_name: m.full_name.clone(),
            unit_id: m.unit_id.to_string(),
            unit_name: m.unit_name.clone(),
            gender: m.gender.map(|g| g.label_vi().to_owned()),
            birth: m.birth.map(|d| d.to_string()),
            phone: m.phone.clone(),
            card_number: m.card_number.clone(),
            status: m.status.code().into(),
            status_name: match lang {
                Lang::Vi => m.status.label_vi(),
                Lang::En => m.status.label_en(),
            }
            .into(),
        }
    }
}

/// A page of the members list; `next` fetches the following page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct MemberPageView {
    pub rows: Vec<MemberRow>,
    pub next: Option<String>,
    /// How many members the list holds in all: given on the first page of a list without
    /// search text (a search shows its matches as they load).
    pub total: Option<u32>,
}

/// The add/edit form of a member: every field as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct MemberForm {
    /// Absent when adding.
    pub id: Option<String>,
    pub unit_id: String,
    pub full_name: String,
    pub gender: Option<String>,
    pub birth: Option<String>,
    pub phone: Option<String>,
    pub address: Option<String>,
    pub join_date: Option<String>,
    pub card_number: Option<String>,
    /// Only sent when typed; the stored number is never sent back in full.
    pub citizen_id: Option<String>,
    pub note: Option<String>,
}

/// One member with everything the detail pane shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct MemberDetail {
    pub row: MemberRow,
    /// The form as it stands (citizen id left empty: it is shown masked instead).
    pub form: MemberForm,
    pub citizen_id_masked: Option<String>,
    pub history: Vec<StatusEventView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct StatusEventView {
    pub status: String,
    pub status_name: String,
    pub date: Option<String>,
    pub note: Option<String>,
    pub author: String,
}

impl StatusEventView {
    pub fn new(e: &StatusEvent, lang: Lang) -> Self {
        StatusEventView {
            status: e.status.code().into(),
            status_name: match lang {
                Lang::Vi => e.status.label_vi(),
                Lang::En => e.status.label_en(),
            }
            .into(),
            date: e.effective_date.as_deref().map(display_date),
            note: e.note.clone(),
            author: e.author.clone(),
        }
    }
}

/// A status change.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, TS)]
pub struct StatusForm {
    pub member_id: String,
    pub status: String,
    /// dd/mm/yyyy
    pub date: Option<String>,
    pub note: Option<String>,
}
