//! Officers who use the app, their roles and what each role may do. The store checks these
//! permissions on every write (and on reads of personal data), so hiding a button in the UI is
//! never the only guard. PINs and login names are validated here; PINs are hashed by the store.

use serde::{Deserialize, Serialize};

use crate::error::{FieldError, ValidationErrors};
use crate::text::fold;

/// The role of an officer in the association (chức danh trong hệ thống).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Chủ tịch / phó chủ tịch: everything, including officers and restoring backups.
    Chairperson,
    /// Thư ký: the register, units, titles, imports, reports, backups.
    Secretary,
    /// Thủ quỹ: the fund; reads the register.
    Treasurer,
    /// Xem: reads only.
    Viewer,
}

/// Something an officer may be allowed to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    /// See members' personal data (lists, cards, exports of the register).
    ReadMembers,
    /// Add, edit, change status, import members.
    EditMembers,
    /// Create, rename, move, merge, close units; yearly figures.
    EditUnits,
    /// Record donations, scholarships, rewards (the fund).
    EditFund,
    /// Add officers, change roles, reset PINs of others.
    ManageOfficers,
    /// Write a backup copy.
    Backup,
    /// Replace the database with a backup.
    Restore,
}

impl Role {
    pub const ALL: [Role; 4] = [
        Role::Chairperson,
        Role::Secretary,
        Role::Treasurer,
        Role::Viewer,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Role::Chairperson => "chairperson",
            Role::Secretary => "secretary",
            Role::Treasurer => "treasurer",
            Role::Viewer => "viewer",
        }
    }

    pub fn parse(code: &str) -> Option<Role> {
        let folded = fold(code);
        Role::ALL.into_iter().find(|r| {
            r.code() == folded
                || fold(r.name_vi()) == folded
                || match r {
                    Role::Chairperson => folded == "chu tich" || folded == "pho chu tich",
                    Role::Secretary => folded == "thu ky",
                    Role::Treasurer => folded == "thu quy",
                    Role::Viewer => folded == "xem",
                }
        })
    }

    pub fn name_vi(self) -> &'static str {
        match self {
            Role::Chairperson => "Chủ tịch",
            Role::Secretary => "Thư ký",
            Role::Treasurer => "Thủ quỹ",
            Role::Viewer => "Chỉ xem",
        }
    }

    pub fn name_en(self) -> &'static str {
        match self {
            Role::Chairperson => "Chairperson",
            Role::Secretary => "Secretary",
            Role::Treasurer => "Treasurer",
            Role::Viewer => "Viewer",
        }
    }

    pub fn allows(self, p: Permission) -> bool {
        use Permission::*;
        match self {
            Role::Chairperson => true,
            Role::Secretary => matches!(p, ReadMembers | EditMembers | EditUnits | Backup),
            Role::Treasurer => matches!(p, ReadMembers | EditFund | Backup),
            Role::Viewer => matches!(p, ReadMembers),
        }
    }
}

impl Permission {
    /// What the officer was trying to do, for "you may not …" messages.
    pub fn action_vi(self) -> &'static str {
        match self {
            Permission::ReadMembers => "xem danh sách hội viên",
            Permission::EditMembers => "sửa danh sách hội viên",
            Permission::EditUnits => "sửa các đơn vị",
            Permission::EditFund => "ghi sổ quỹ",
            Permission::ManageOfficers => "quản lý cán bộ sử dụng",
            Permission::Backup => "sao lưu dữ liệu",
            Permission::Restore => "khôi phục dữ liệu từ bản sao lưu",
        }
    }

    pub fn action_en(self) -> &'static str {
        match self {
            Permission::ReadMembers => "read the member register",
            Permission::EditMembers => "edit the member register",
            Permission::EditUnits => "edit units",
            Permission::EditFund => "record fund entries",
            Permission::ManageOfficers => "manage officers",
            Permission::Backup => "write backups",
            Permission::Restore => "restore backups",
        }
    }
}

/// A new officer as typed into the form.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfficerInput {
    /// Login name, e.g. `lan` or `thuky.an`.
    pub username: String,
    pub full_name: String,
    /// A role code or its Vietnamese name.
    pub role: String,
    pub pin: String,
}

/// A validated officer (the PIN still in clear, only until the store hashes it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfficerFields {
    pub username: String,
    pub full_name: String,
    pub role: Role,
    pub pin: String,
}

/// Validates every field and names each wrong one.
pub fn validate_officer(input: &OfficerInput) -> Result<OfficerFields, ValidationErrors> {
    let mut errors = Vec::new();
    let username = match normalize_username(&input.username) {
        Ok(u) => u,
        Err(e) => {
            errors.push(e);
            String::new()
        }
    };
    let full_name = input
        .full_name
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if full_name.is_empty() {
        errors.push(FieldError::new(
            "full_name",
            "required",
            "Họ và tên cán bộ không được để trống.",
            "The officer's full name is required.",
        ));
    } else if full_name.chars().count() > 100 {
        errors.push(FieldError::new(
            "full_name",
            "too_long",
            "Họ và tên dài quá 100 ký tự.",
            "The full name is longer than 100 characters.",
        ));
    }
    let role = match parse_role(&input.role) {
        Ok(r) => Some(r),
        Err(e) => {
            errors.push(e);
            None
        }
    };
    if let Err(e) = check_pin(&input.pin, "pin") {
        errors.push(e);
    }
    if errors.is_empty() {
        Ok(OfficerFields {
            username,
            full_name,
            role: role.expect("checked"),
            pin: input.pin.clone(),
        })
    } else {
        Err(ValidationErrors(errors))
    }
}

/// A role from its code or Vietnamese name; the error names the `role` field.
pub fn parse_role(text: &str) -> Result<Role, FieldError> {
    Role::parse(text).ok_or_else(|| {
        FieldError::new(
            "role",
            "invalid_role",
            "Chức danh phải là Chủ tịch, Thư ký, Thủ quỹ hoặc Chỉ xem.",
            "The role must be chairperson, secretary, treasurer or viewer.",
        )
    })
}

/// Login names: 3 to 32 letters without tone marks, digits, `.`, `_` or `-`, lower case.
/// Tone marks and đ are folded away ("Lan Anh" is refused for its space, "Đức" becomes "duc").
pub fn normalize_username(raw: &str) -> Result<String, FieldError> {
    // Folded letter by letter, so the separators `.`, `_` and `-` survive.
    let folded: String = raw
        .trim()
        .chars()
        .map(|c| match c {
            '.' | '_' | '-' | ' ' => c.to_string(),
            c => fold(&c.to_string()),
        })
        .collect();
    let ok_chars = folded
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'));
    let len = folded.chars().count();
    if folded.is_empty() {
        Err(FieldError::new(
            "username",
            "required",
            "Tên đăng nhập không được để trống.",
            "The login name is required.",
        ))
    } else if !ok_chars || !(3..=32).contains(&len) {
        Err(FieldError::new(
            "username",
            "invalid_username",
            "Tên đăng nhập gồm 3–32 chữ cái không dấu, chữ số, dấu chấm, gạch dưới hoặc gạch ngang, không có khoảng trắng.",
            "A login name is 3 to 32 letters, digits, '.', '_' or '-', without spaces.",
        ))
    } else {
        Ok(folded)
    }
}

/// A PIN: 4 to 12 digits, not one digit repeated and not a run such as 1234 or 9876.
pub fn check_pin(pin: &str, field: &'static str) -> Result<(), FieldError> {
    if pin.is_empty() {
        return Err(FieldError::new(
            field,
            "required",
            "Mã PIN không được để trống.",
            "The PIN is required.",
        ));
    }
    let digits: Vec<u32> = pin.chars().filter_map(|c| c.to_digit(10)).collect();
    if digits.len() != pin.chars().count() || !(4..=12).contains(&digits.len()) {
        return Err(FieldError::new(
            field,
            "invalid_pin",
            "Mã PIN gồm 4 đến 12 chữ số.",
            "A PIN is 4 to 12 digits.",
        ));
    }
    let steps: Vec<i64> = digits
        .windows(2)
        .map(|w| w[1] as i64 - w[0] as i64)
        .collect();
    let same_step = steps.iter().all(|s| *s == steps[0]);
    if same_step && matches!(steps[0], -1..=1) {
        return Err(FieldError::new(
            field,
            "weak_pin",
            "Mã PIN quá dễ đoán (các số giống nhau hoặc liên tiếp); hãy chọn mã khác.",
            "The PIN is too easy to guess (repeated or consecutive digits).",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_allow_only_their_work() {
        use Permission::*;
        assert!(Role::Chairperson.allows(Restore));
        assert!(Role::Secretary.allows(EditMembers));
        assert!(!Role::Secretary.allows(EditFund));
        assert!(!Role::Secretary.allows(ManageOfficers));
        assert!(Role::Treasurer.allows(EditFund));
        assert!(!Role::Treasurer.allows(EditMembers));
        assert!(Role::Viewer.allows(ReadMembers));
        for p in [
            EditMembers,
            EditUnits,
            EditFund,
            ManageOfficers,
            Backup,
            Restore,
        ] {
            assert!(!Role::Viewer.allows(p), "{p:?}");
        }
    }

    #[test]
    fn roles_parse_from_codes_and_vietnamese_names() {
        assert_eq!(Role::parse("thu quy"), Some(Role::Treasurer));
        assert_eq!(Role::parse("Thủ quỹ"), Some(Role::Treasurer));
        assert_eq!(Role::parse("Phó chủ tịch"), Some(Role::Chairperson));
        assert_eq!(Role::parse("secretary"), Some(Role::Secretary));
        assert_eq!(Role::parse("boss"), None);
    }

    #[test]
    fn pins_must_be_digits_and_not_trivial() {
        assert!(check_pin("2580", "pin").is_ok());
        assert!(check_pin("135790", "pin").is_ok());
        for (pin, code) in [
            ("", "required"),
            ("123", "invalid_pin"),
            ("12a45", "invalid_pin"),
            ("1234567890123", "invalid_pin"),
            ("1111", "weak_pin"),
            ("1234", "weak_pin"),
            ("9876", "weak_pin"),
        ] {
            assert_eq!(check_pin(pin, "pin").unwrap_err().code, code, "{pin}");
        }
    }

    #[test]
    fn usernames_are_folded_and_checked() {
        assert_eq!(normalize_username(" Đức ").unwrap(), "duc");
        assert_eq!(normalize_username("ThuKy.An").unwrap(), "thuky.an");
        assert_eq!(
            normalize_username("lan anh").unwrap_err().code,
            "invalid_username"
        );
        assert_eq!(
            normalize_username("ab").unwrap_err().code,
            "invalid_username"
        );
        assert_eq!(normalize_username("").unwrap_err().code, "required");
    }

    #[test]
    fn every_wrong_field_is_named() {
        let err = validate_officer(&OfficerInput {
            username: "a b".into(),
            full_name: " ".into(),
            role: "boss".into(),
            pin: "1".into(),
        })
        .unwrap_err();
        let fields: Vec<_> = err.0.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["username", "full_name", "role", "pin"]);
    }
}
