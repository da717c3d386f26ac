//! Officers, logins and the first-run setup of a commune.
//!
//! A database with no officer is being set up: anyone at the laptop may write, as with the
//! command line before the first run of the app. [`Store::setup_commune`] creates the province
//! and commune units and the first officer (a chairperson) in one transaction; from then on
//! every write needs a logged-in officer whose role allows it ([`authorize`], called by every
//! write transaction), and reading members' personal data needs a login too.
//!
//! PINs are hashed with argon2id; five wrong PINs in a row make that login wait five minutes
//! (counted on this laptop only).

use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use uuid::Uuid;

use khuyenhoc_domain::ids::new_id;
use khuyenhoc_domain::officer::{check_pin, normalize_username, validate_officer};
use khuyenhoc_domain::org::OrgUnitInput;
use khuyenhoc_domain::{FieldError, OfficerInput, Permission, Role, ValidationErrors};

use crate::error::{Result, StoreError};
use crate::open::Store;
use crate::org_units::{OrgUnit, create_unit_in};
use crate::write::{FieldChange, WriteTx, now_ms};

/// Wrong PINs in a row before a login has to wait.
pub const MAX_PIN_FAILURES: i64 = 5;
/// How long it waits.
pub const LOCKOUT_MS: i64 = 5 * 60 * 1000;

/// An officer as the app shows them (never the PIN or its hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Officer {
    pub id: Uuid,
    pub username: String,
    pub full_name: String,
    pub role: Role,
    pub active: bool,
}

/// What the first run asks for: the province, the commune, and the first officer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CommuneSetup {
    pub province_name: String,
    pub province_code: Option<String>,
    pub commune_name: String,
    pub commune_code: Option<String>,
    /// The first officer; the role is always chairperson (they add the others).
    pub officer: OfficerInput,
}

/// The result of a first-run setup.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SetupOutcome {
    pub province: OrgUnit,
    pub commune: OrgUnit,
    pub officer: Officer,
}

fn hash_pin(pin: &str) -> Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(pin.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| StoreError::Corrupt(format!("hashing a PIN failed: {e}")))
}

fn pin_matches(pin: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|h| {
            Argon2::default()
                .verify_password(pin.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

fn officer_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Officer> {
    let id: String = r.get(0)?;
    let role: String = r.get(3)?;
    Ok(Officer {
        id: Uuid::parse_str(&id).unwrap_or_default(),
        username: r.get(1)?,
        full_name: r.get(2)?,
        // A role this build does not know (from a newer laptop) gets the least power.
        role: Role::parse(&role).unwrap_or(Role::Viewer),
        active: r.get::<_, i64>(4)? != 0,
    })
}

const OFFICER_COLUMNS: &str = "id, username, full_name, role, active";

fn has_officers(conn: &Connection) -> Result<bool> {
    Ok(conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM officers WHERE deleted = 0)",
        [],
        |r| r.get(0),
    )?)
}

/// Checks that `officer` (read again from the database) may do `permission`. With no officer
/// logged in, only a database that has no officers yet may be changed.
pub(crate) fn authorize(
    conn: &Connection,
    officer: Option<&Officer>,
    permission: Permission,
) -> Result<()> {
    let Some(officer) = officer else {
        return if has_officers(conn)? {
            Err(StoreError::LoginRequired)
        } else {
            Ok(())
        };
    };
    let current = conn
        .query_row(
            &format!("SELECT {OFFICER_COLUMNS} FROM officers WHERE id = ?1 AND deleted = 0"),
            [officer.id.to_string()],
            officer_from_row,
        )
        .optional()?;
    match current {
        Some(o) if o.active && o.role.allows(permission) => Ok(()),
        Some(o) if o.active => Err(StoreError::Forbidden {
            role: o.role,
            permission,
        }),
        _ => Err(StoreError::LoginRequired),
    }
}

fn setting(conn: &Connection, key: &str) -> Result<Option<String>> {
    Ok(conn
        .query_row(
            "SELECT value FROM local_settings WHERE key = ?1",
            [key],
            |r| r.get(0),
        )
        .optional()?)
}

fn rename_field(mut e: FieldError, field: &'static str) -> FieldError {
    e.field = field;
    e
}

impl Store {
    /// True once the commune has been set up (an officer exists).
    pub fn is_set_up(&self) -> Result<bool> {
        has_officers(&self.conn)
    }

    /// Fails unless the logged-in officer (or, before setup, anyone) may do `permission`.
    pub fn require(&self, permission: Permission) -> Result<()> {
        authorize(&self.conn, self.officer.as_ref(), permission)
    }

    /// The officer logged in on this store, if any.
    pub fn officer(&self) -> Option<&Officer> {
        self.officer.as_ref()
    }

    /// The association unit this laptop serves (set by the first-run setup).
    pub fn home_unit(&self) -> Result<Option<Uuid>> {
        Ok(setting(&self.conn, "home_unit")?.and_then(|v| Uuid::parse_str(&v).ok()))
    }

    /// A setting of this laptop (not synced).
    pub fn local_setting(&self, key: &str) -> Result<Option<String>> {
        setting(&self.conn, key)
    }

    /// Stores a setting of this laptop (not synced; no login needed: language, reminders).
    pub fn set_local_setting(&mut self, key: &str, value: &str) -> Result<()> {
        self.conn.execute(
            "INSERT INTO local_settings (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [key, value],
        )?;
        Ok(())
    }

    /// The first run: creates (or reuses, by org code) the province and the commune, and the
    /// first officer as chairperson, in one transaction, and logs that officer in.
    pub fn setup_commune(&mut self, setup: &CommuneSetup) -> Result<SetupOutcome> {
        let first = OfficerInput {
            role: Role::Chairperson.code().into(),
            ..setup.officer.clone()
        };
        // Every wrong field is reported at once, named as the setup form names it.
        let mut errors = Vec::new();
        if setup.province_name.trim().is_empty() {
            errors.push(FieldError::new(
                "province_name",
                "required",
                "Tên tỉnh/thành phố không được để trống.",
                "The province name is required.",
            ));
        }
        if setup.commune_name.trim().is_empty() {
            errors.push(FieldError::new(
                "commune_name",
                "required",
                "Tên xã/phường không được để trống.",
                "The commune name is required.",
            ));
        }
        let fields = match validate_officer(&first) {
            Ok(f) => Some(f),
            Err(v) => {
                errors.extend(v.0);
                None
            }
        };
        if !errors.is_empty() {
            return Err(ValidationErrors(errors).into());
        }
        let fields = fields.expect("validated");
        let pin_hash = hash_pin(&fields.pin)?;
        let mut w = WriteTx::begin(self, Permission::ManageOfficers)?;
        if has_officers(&w.tx)? {
            return Err(StoreError::rule(
                "already_set_up",
                "Máy này đã được thiết lập cho một hội; hãy đăng nhập.",
                "This database is already set up; log in instead.",
            ));
        }
        let province = find_or_create(
            &mut w,
            None,
            &setup.province_name,
            "province",
            setup.province_code.as_deref(),
            ("province_name", "province_code"),
        )?;
        let commune = find_or_create(
            &mut w,
            Some(&province),
            &setup.commune_name,
            "commune",
            setup.commune_code.as_deref(),
            ("commune_name", "commune_code"),
        )?;
        let officer_id = insert_officer(&mut w, &fields, &pin_hash)?;
        w.tx.execute(
            "INSERT INTO local_settings (key, value) VALUES ('home_unit', ?1)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [commune.to_string()],
        )?;
        w.commit()?;
        let officer = self.get_officer(&officer_id)?;
        self.author = officer.username.clone();
        self.officer = Some(officer.clone());
        tracing::info!("commune set up; first officer created");
        Ok(SetupOutcome {
            province: self.get_unit(&province)?,
            commune: self.get_unit(&commune)?,
            officer,
        })
    }

    /// Adds an officer (chairperson only).
    pub fn add_officer(&mut self, input: &OfficerInput) -> Result<Officer> {
        let fields = validate_officer(input)?;
        let pin_hash = hash_pin(&fields.pin)?;
        let mut w = WriteTx::begin(self, Permission::ManageOfficers)?;
        let id = insert_officer(&mut w, &fields, &pin_hash)?;
        w.commit()?;
        self.get_officer(&id)
    }

    /// Changes an officer's PIN: one's own (knowing the old PIN), or anyone's as chairperson.
    pub fn change_pin(
        &mut self,
        username: &str,
        old_pin: Option<&str>,
        new_pin: &str,
    ) -> Result<()> {
        check_pin(new_pin, "new_pin").map_err(|e| ValidationErrors(vec![e]))?;
        let username = normalize_username(username).map_err(|e| ValidationErrors(vec![e]))?;
        let me = self.officer.clone().ok_or(StoreError::LoginRequired)?;
        let own = me.username == username;
        if own {
            let hash = self
                .pin_hash(&username)?
                .ok_or(StoreError::WrongPin { left: 0 })?;
            if !old_pin.is_some_and(|p| pin_matches(p, &hash)) {
                return Err(ValidationErrors(vec![FieldError::new(
                    "old_pin",
                    "wrong_pin",
                    "Mã PIN hiện tại không đúng.",
                    "The current PIN is wrong.",
                )])
                .into());
            }
        }
        let pin_hash = hash_pin(new_pin)?;
        let permission = if own {
            Permission::ReadMembers
        } else {
            Permission::ManageOfficers
        };
        let mut w = WriteTx::begin(self, permission)?;
        let (id, versions, created) = officer_row(&w.tx, &username)?;
        let stamp = w.stamp();
        let mut versions = crate::write::parse_versions(&versions);
        let base = crate::write::field_version(&versions, &created, "pin_hash");
        versions.insert("pin_hash".into(), stamp.clone().into());
        w.tx.execute(
            "UPDATE officers SET pin_hash = ?1, versions = ?2 WHERE id = ?3",
            params![
                pin_hash,
                serde_json::Value::Object(versions).to_string(),
                id
            ],
        )?;
        w.record(
            "officer",
            &id,
            "officer.update",
            &[FieldChange::new("pin_hash", pin_hash.clone(), Some(base))],
            &stamp,
        )?;
        w.commit()
    }

    /// Changes an officer's role or turns their account off (chairperson only). The last
    /// active chairperson cannot be demoted or turned off.
    pub fn set_officer_role(
        &mut self,
        username: &str,
        role: Role,
        active: bool,
    ) -> Result<Officer> {
        let username = normalize_username(username).map_err(|e| ValidationErrors(vec![e]))?;
        let mut w = WriteTx::begin(self, Permission::ManageOfficers)?;
        let (id, versions, created) = officer_row(&w.tx, &username)?;
        let (old_role, old_active): (String, i64) = w.tx.query_row(
            "SELECT role, active FROM officers WHERE id = ?1",
            [&id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let chairs: i64 = w.tx.query_row(
            "SELECT count(*) FROM officers WHERE role = 'chairperson' AND active = 1 AND deleted = 0 AND id <> ?1",
            [&id],
            |r| r.get(0),
        )?;
        if chairs == 0 && (role != Role::Chairperson || !active) {
            return Err(StoreError::rule(
                "last_chairperson",
                "Phải còn ít nhất một chủ tịch đang hoạt động để quản lý cán bộ.",
                "At least one active chairperson must remain.",
            ));
        }
        let stamp = w.stamp();
        let mut versions = crate::write::parse_versions(&versions);
        let mut changes = Vec::new();
        if old_role != role.code() {
            let base = crate::write::field_version(&versions, &created, "role");
            changes.push(FieldChange::new("role", role.code(), Some(base)));
            versions.insert("role".into(), stamp.clone().into());
        }
        if (old_active != 0) != active {
            let base = crate::write::field_version(&versions, &created, "active");
            changes.push(FieldChange::new("active", active as i64, Some(base)));
            versions.insert("active".into(), stamp.clone().into());
        }
        if !changes.is_empty() {
            w.tx.execute(
                "UPDATE officers SET role = ?1, active = ?2, versions = ?3 WHERE id = ?4",
                params![
                    role.code(),
                    active as i64,
                    serde_json::Value::Object(versions).to_string(),
                    id
                ],
            )?;
            w.record("officer", &id, "officer.update", &changes, &stamp)?;
        }
        w.commit()?;
        self.get_officer(&Uuid::parse_str(&id).unwrap_or_default())
    }

    /// Every officer, sorted by login name.
    pub fn officers(&self) -> Result<Vec<Officer>> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {OFFICER_COLUMNS} FROM officers WHERE deleted = 0 ORDER BY username"
        ))?;
        let rows = stmt.query_map([], officer_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn get_officer(&self, id: &Uuid) -> Result<Officer> {
        self.conn
            .query_row(
                &format!("SELECT {OFFICER_COLUMNS} FROM officers WHERE id = ?1 AND deleted = 0"),
                [id.to_string()],
                officer_from_row,
            )
            .optional()?
            .ok_or_else(|| StoreError::NotFound {
                entity: "officer",
                reference: id.to_string(),
            })
    }

    fn pin_hash(&self, username: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row(
                "SELECT pin_hash FROM officers WHERE username = ?1 AND deleted = 0 AND active = 1",
                [username],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Logs an officer in: the following writes are checked against their role and recorded
    /// under their login name. Wrong PINs are counted; after [`MAX_PIN_FAILURES`] in a row the
    /// login waits [`LOCKOUT_MS`].
    pub fn login(&mut self, username: &str, pin: &str) -> Result<Officer> {
        let username = normalize_username(username).map_err(|_| StoreError::WrongPin {
            left: MAX_PIN_FAILURES as u32,
        })?;
        let now = now_ms() as i64;
        let (failures, locked_until): (i64, i64) = self
            .conn
            .query_row(
                "SELECT failures, locked_until_ms FROM login_failures WHERE username = ?1",
                [&username],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?
            .unwrap_or((0, 0));
        if locked_until > now {
            let minutes = ((locked_until - now) as f64 / 60_000.0).ceil() as u32;
            return Err(StoreError::LockedOut { minutes });
        }
        let hash = self.pin_hash(&username)?;
        let ok = match &hash {
            Some(h) => pin_matches(pin, h),
            None => false,
        };
        if !ok {
            let failures = failures + 1;
            let locked = if failures >= MAX_PIN_FAILURES {
                now + LOCKOUT_MS
            } else {
                0
            };
            self.conn.execute(
                "INSERT INTO login_failures (username, failures, locked_until_ms) VALUES (?1, ?2, ?3)
                 ON CONFLICT (username) DO UPDATE SET failures = excluded.failures, locked_until_ms = excluded.locked_until_ms",
                params![username, failures, locked],
            )?;
            tracing::info!(failures, "a login failed");
            return Err(if locked > 0 {
                StoreError::LockedOut {
                    minutes: (LOCKOUT_MS / 60_000) as u32,
                }
            } else {
                StoreError::WrongPin {
                    left: (MAX_PIN_FAILURES - failures) as u32,
                }
            });
        }
        self.conn.execute(
            "DELETE FROM login_failures WHERE username = ?1",
            [&username],
        )?;
        let officer = self.conn.query_row(
            &format!("SELECT {OFFICER_COLUMNS} FROM officers WHERE username = ?1 AND deleted = 0"),
            [&username],
            officer_from_row,
        )?;
        self.author = officer.username.clone();
        self.officer = Some(officer.clone());
        Ok(officer)
    }

    /// Logs out: the following writes need a login again.
    pub fn logout(&mut self) {
        self.officer = None;
    }
}

fn officer_row(conn: &Connection, username: &str) -> Result<(String, String, String)> {
    conn.query_row(
        "SELECT id, versions, created_version FROM officers WHERE username = ?1 AND deleted = 0",
        [username],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )
    .optional()?
    .ok_or_else(|| StoreError::NotFound {
        entity: "officer",
        reference: username.to_owned(),
    })
}

fn insert_officer(
    w: &mut WriteTx<'_>,
    fields: &khuyenhoc_domain::OfficerFields,
    pin_hash: &str,
) -> Result<Uuid> {
    let taken: bool = w.tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM officers WHERE username = ?1 AND deleted = 0)",
        [&fields.username],
        |r| r.get(0),
    )?;
    if taken {
        return Err(ValidationErrors(vec![FieldError::new(
            "username",
            "username_taken",
            format!("Tên đăng nhập \"{}\" đã có người dùng.", fields.username),
            "That login name is already taken.",
        )])
        .into());
    }
    let id = new_id();
    let stamp = w.stamp();
    w.tx.execute(
        "INSERT INTO officers (id, username, full_name, role, pin_hash, active, created_version) VALUES (?1, ?2, ?3, ?4, ?5, 1, ?6)",
        params![id.to_string(), fields.username, fields.full_name, fields.role.code(), pin_hash, stamp],
    )?;
    let changes = [
        FieldChange::new("username", fields.username.clone(), None),
        FieldChange::new("full_name", fields.full_name.clone(), None),
        FieldChange::new("role", fields.role.code(), None),
        FieldChange::new("pin_hash", pin_hash.to_owned(), None),
        FieldChange::new("active", 1, None),
    ];
    w.record(
        "officer",
        &id.to_string(),
        "officer.create",
        &changes,
        &stamp,
    )?;
    Ok(id)
}

/// The unit with `code`, when one exists; otherwise a new one.
fn find_or_create(
    w: &mut WriteTx<'_>,
    parent: Option<&Uuid>,
    name: &str,
    kind: &str,
    code: Option<&str>,
    form_fields: (&'static str, &'static str),
) -> Result<Uuid> {
    let code = code.map(str::trim).filter(|c| !c.is_empty());
    if let Some(code) = code {
        let existing: Option<String> =
            w.tx.query_row(
                "SELECT id FROM org_units WHERE org_code = ?1 AND kind = ?2 AND deleted = 0",
                [code, kind],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(id) = existing {
            return Ok(Uuid::parse_str(&id).unwrap_or_default());
        }
    }
    let input = OrgUnitInput {
        name: name.to_owned(),
        kind: kind.to_owned(),
        org_code: code.map(str::to_owned),
        valid_from: None,
    };
    create_unit_in(w, parent, &input).map_err(|e| match e {
        StoreError::Invalid(v) => StoreError::Invalid(ValidationErrors(
            v.0.into_iter()
                .map(|f| match f.field {
                    "name" => rename_field(f, form_fields.0),
                    "org_code" => rename_field(f, form_fields.1),
                    _ => f,
                })
                .collect(),
        )),
        other => other,
    })
}
