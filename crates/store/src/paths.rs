//! Where an officer's database lives, one answer for the desktop app and the `khuyenhoc`
//! command line: `<data dir>/vn.khuyenhoc.desktop/khuyenhoc.db` (Linux `~/.local/share/…`,
//! Windows `%APPDATA%\…`), unless `KHUYENHOC_DB` names another file.

use std::ffi::OsString;
use std::path::PathBuf;

/// The environment variable that names another database file (the CLI's `--db` reads it too).
pub const DB_ENV: &str = "KHUYENHOC_DB";

/// The per-user database the app and the CLI share.
pub fn default_database_path() -> PathBuf {
    dirs::data_dir()
        .unwrap_or_else(|| PathBuf::from("."))
        .join("vn.khuyenhoc.desktop")
        .join("khuyenhoc.db")
}

/// `KHUYENHOC_DB` when it is set and not empty, else the default.
pub fn database_path() -> PathBuf {
    choose(std::env::var_os(DB_ENV), default_database_path())
}

fn choose(env: Option<OsString>, default: PathBuf) -> PathBuf {
    match env {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => default,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_environment_overrides_the_default() {
        let default = PathBuf::from("/home/a/.local/share/vn.khuyenhoc.desktop/khuyenhoc.db");
        assert_eq!(
            choose(Some("/tmp/x.db".into()), default.clone()),
            PathBuf::from("/tmp/x.db")
        );
        assert_eq!(choose(Some("".into()), default.clone()), default);
        assert_eq!(choose(None, default.clone()), default);
    }

    #[test]
    fn the_default_is_khuyenhoc_db_in_the_users_data_folder() {
        let p = default_database_path();
        assert_eq!(p.file_name().unwrap(), "khuyenhoc.db");
        if let Some(data) = dirs::data_dir() {
            assert_eq!(p.parent().unwrap().parent().unwrap(), data);
        }
    }
}
