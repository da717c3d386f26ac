//! The command-line grammar (clap derive).

use std::path::PathBuf;

use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "khuyenhoc",
    version,
    about = "Khuyến học: sổ hội viên và đơn vị của Hội Khuyến học (dòng lệnh)"
)]
pub struct Cli {
    /// Database file (default: the desktop app's per-user database).
    #[arg(long, global = true, env = "KHUYENHOC_DB")]
    pub db: Option<PathBuf>,
    /// Print JSON instead of text.
    #[arg(long, global = true)]
    pub json: bool,
    /// Language of messages: vi or en.
    #[arg(long, global = true, env = "KHUYENHOC_LANG", default_value = "vi")]
    pub lang: String,
    /// The officer's login name. Once the commune is set up, changes and reading members need
    /// it; the PIN comes from KHUYENHOC_PIN or is asked at the terminal. Before setup it is
    /// only recorded as the author of changes.
    #[arg(long = "as", global = true, env = "KHUYENHOC_USER")]
    pub user: Option<String>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand)]
pub enum Command {
    /// Create the database (and the commune's association unit).
    Init(InitArgs),
    /// Show the database, its counts and pending changes.
    Status,
    /// First run: create the province, the commune and its first officer (a chairperson).
    /// The PIN comes from KHUYENHOC_PIN or is asked at the terminal.
    Setup(SetupArgs),
    /// Officers who may use the app, and their roles.
    #[command(subcommand)]
    Officers(OfficersCommand),
    /// Org units: the tree of associations, branches, groups…
    #[command(subcommand)]
    Units(UnitsCommand),
    /// The member register.
    #[command(subcommand)]
    Members(MembersCommand),
    /// Write a consistent copy of the database to FILE.
    Backup { file: PathBuf },
    /// Replace the database with the backup in FILE (verified first).
    Restore { file: PathBuf },
    /// Join the commune on the central server with a one-time code (once per laptop).
    Enroll(crate::sync::EnrollArgs),
    /// Sync with the central server (`sync` alone: send and receive now).
    Sync {
        #[command(subcommand)]
        command: Option<crate::sync::SyncCommand>,
    },
    /// Changes waiting to be sent to the central server.
    Outbox {
        #[arg(long, default_value_t = 100)]
        limit: usize,
    },
}

#[derive(Args)]
pub struct SetupArgs {
    /// Province name, e.g. "Hội Khuyến học tỉnh Quảng Trị".
    #[arg(long)]
    pub province: String,
    #[arg(long)]
    pub province_code: Option<String>,
    /// Commune association name, e.g. "Hội Khuyến học xã Tân Hòa".
    #[arg(long)]
    pub commune: String,
    /// Org code of the commune.
    #[arg(long)]
    pub code: Option<String>,
    /// Login name of the first officer (the chairperson).
    #[arg(long)]
    pub username: String,
    #[arg(long)]
    pub full_name: String,
}

#[derive(Subcommand)]
pub enum OfficersCommand {
    /// Every officer and their role.
    List,
    /// Add an officer (chairperson only); the new officer's PIN comes from KHUYENHOC_NEW_PIN
    /// or is asked at the terminal.
    Add {
        username: String,
        #[arg(long)]
        full_name: String,
        /// chairperson, secretary, treasurer or viewer (or chủ tịch, thư ký, thủ quỹ, xem).
        #[arg(long)]
        role: String,
    },
    /// Change an officer's role, or turn the account off/on (chairperson only).
    SetRole {
        username: String,
        role: String,
        /// Turn the account off (it can no longer log in).
        #[arg(long)]
        inactive: bool,
    },
    /// Change a PIN: your own (current PIN from KHUYENHOC_PIN), or anyone's as chairperson.
    /// The new PIN comes from KHUYENHOC_NEW_PIN or is asked at the terminal.
    Pin { username: String },
}

#[derive(Args)]
pub struct InitArgs {
    /// Name of the commune association, e.g. "Hội Khuyến học xã Tân Hòa".
    #[arg(long)]
    pub commune: Option<String>,
    /// Org code of the commune (e.g. the administrative code).
    #[arg(long)]
    pub code: Option<String>,
    /// Name of the provincial association above it.
    #[arg(long)]
    pub province: Option<String>,
    #[arg(long)]
    pub province_code: Option<String>,
}

#[derive(Subcommand)]
pub enum UnitsCommand {
    /// The tree of units.
    List {
        /// Include closed and merged units.
        #[arg(long)]
        all: bool,
    },
    /// Add a unit.
    Add {
        name: String,
        /// Kind code: commune, branch, group, committee, province… (see `units kinds`).
        #[arg(long)]
        kind: String,
        /// Parent unit (id, org code or name).
        #[arg(long)]
        parent: Option<String>,
        #[arg(long)]
        code: Option<String>,
        /// Effective from (dd/mm/yyyy).
        #[arg(long)]
        from: Option<String>,
    },
    Show {
        unit: String,
    },
    Rename {
        unit: String,
        name: String,
        #[arg(long)]
        date: Option<String>,
    },
    /// Set or clear (with an empty value) the org code.
    SetCode {
        unit: String,
        code: String,
    },
    /// Move a unit under another parent.
    Move {
        unit: String,
        #[arg(long)]
        to: String,
        #[arg(long)]
        date: Option<String>,
    },
    /// Merge units into another one.
    Merge {
        #[arg(required = true)]
        units: Vec<String>,
        #[arg(long)]
        into: String,
        #[arg(long)]
        date: Option<String>,
    },
    /// Close (dissolve) an empty unit.
    Close {
        unit: String,
        #[arg(long)]
        date: Option<String>,
    },
    History {
        unit: String,
    },
    /// Kinds of unit.
    Kinds,
    AddKind {
        code: String,
        #[arg(long)]
        vi: String,
        #[arg(long)]
        en: String,
        /// The kind is an association (Hội) that scopes card numbers.
        #[arg(long)]
        association: bool,
    },
    /// Yearly denominators (population, households, clans, communities, units).
    #[command(subcommand)]
    Denominators(DenominatorsCommand),
}

#[derive(Subcommand)]
pub enum DenominatorsCommand {
    Set {
        unit: String,
        #[arg(long)]
        year: i32,
        #[arg(long)]
        population: Option<i64>,
        #[arg(long)]
        households: Option<i64>,
        #[arg(long)]
        clans: Option<i64>,
        #[arg(long)]
        communities: Option<i64>,
        #[arg(long)]
        units: Option<i64>,
        /// Where the figures come from.
        #[arg(long)]
        source: Option<String>,
    },
    List {
        unit: String,
        #[arg(long)]
        year: Option<i32>,
    },
}

#[derive(Args, Default)]
pub struct MemberFieldArgs {
    /// Full name (họ và tên).
    #[arg(long)]
    pub name: Option<String>,
    /// Nam / Nữ.
    #[arg(long)]
    pub gender: Option<String>,
    /// dd/mm/yyyy or a year.
    #[arg(long)]
    pub birth: Option<String>,
    #[arg(long)]
    pub phone: Option<String>,
    #[arg(long)]
    pub address: Option<String>,
    /// Date joined (dd/mm/yyyy or a year).
    #[arg(long)]
    pub joined: Option<String>,
    #[arg(long)]
    pub card: Option<String>,
    /// Citizen ID (CCCD), optional.
    #[arg(long)]
    pub citizen_id: Option<String>,
    #[arg(long)]
    pub note: Option<String>,
}

#[derive(Args)]
pub struct MemberFilterArgs {
    /// Only this unit and the units below it.
    #[arg(long)]
    pub unit: Option<String>,
    /// active, moved_away, left, deceased (or the Vietnamese words).
    #[arg(long)]
    pub status: Option<String>,
    #[arg(long, default_value_t = 50)]
    pub limit: usize,
    /// Continue after this cursor (from the previous page).
    #[arg(long)]
    pub after: Option<String>,
}

#[derive(Subcommand)]
pub enum MembersCommand {
    Add {
        /// Branch (or other unit) the member belongs to.
        #[arg(long)]
        unit: String,
        #[command(flatten)]
        fields: MemberFieldArgs,
    },
    List {
        #[command(flatten)]
        filter: MemberFilterArgs,
    },
    /// Search without tone marks: "nguyen an" finds "Nguyễn Văn An".
    Search {
        query: String,
        #[command(flatten)]
        filter: MemberFilterArgs,
    },
    /// One member (by id or card number), with status history and dues.
    Show { member: String },
    /// Change fields; give only what changes ("" clears a field).
    Update {
        member: String,
        /// Move to another unit.
        #[arg(long)]
        unit: Option<String>,
        #[command(flatten)]
        fields: MemberFieldArgs,
    },
    /// Record a status change: active, moved_away, left, deceased.
    Status {
        member: String,
        status: String,
        #[arg(long)]
        date: Option<String>,
        #[arg(long)]
        note: Option<String>,
    },
    /// Record yearly dues (hội phí).
    Dues {
        member: String,
        #[arg(long)]
        year: i32,
        /// Amount in đồng, e.g. 24.000
        #[arg(long)]
        amount: String,
        #[arg(long)]
        paid_on: Option<String>,
    },
    /// Delete a record entered by mistake (a member who leaves is a status change).
    Delete { member: String },
    /// Import a member list (.xlsx, .xls, .ods, .csv). Shows a preview; --commit writes it.
    Import {
        file: PathBuf,
        /// Unit the members go to (a branch, or the commune when the file names branches).
        #[arg(long)]
        unit: String,
        #[arg(long)]
        sheet: Option<String>,
        #[arg(long)]
        commit: bool,
        /// With --commit: import the valid rows and leave out rows with errors.
        #[arg(long)]
        skip_errors: bool,
    },
    /// Export members to .xlsx (or .csv) with Vietnamese headers.
    Export {
        file: PathBuf,
        #[arg(long)]
        unit: Option<String>,
        #[arg(long)]
        status: Option<String>,
        /// Include citizen ID numbers (personal data: only when required).
        #[arg(long)]
        include_citizen_id: bool,
    },
}

/// Reports a command-line mistake: clap's own text, or with `--json` the one error shape
/// `{"error": {"code", "message"}}`. `--help` and `--version` print normally.
pub fn usage_error(e: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(
        e.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        let _ = e.print();
        return ExitCode::SUCCESS;
    }
    if std::env::args().any(|a| a == "--json") {
        let message = e.render().to_string();
        let message = message
            .lines()
            .next()
            .unwrap_or("")
            .trim_start_matches("error: ")
            .to_owned();
        println!(
            "{}",
            serde_json::json!({ "error": { "code": "invalid_arguments", "message": format!("Lệnh không hợp lệ: {message}. Xem khuyenhoc --help.") } })
        );
        return ExitCode::from(2);
    }
    let _ = e.print();
    ExitCode::from(2)
}
