//! Row ids: UUIDv7 made on the device (offline creation never collides), and deterministic
//! UUIDv5 ids for imported rows, so one file imported on two laptops yields the same people.

use uuid::Uuid;

/// The namespace of khuyenhoc's deterministic ids.
pub const NAMESPACE: Uuid = Uuid::from_u128(0x6b68_7579_656e_686f_6300_0000_0000_0001);

/// A new time-ordered id.
pub fn new_id() -> Uuid {
    Uuid::now_v7()
}

/// The id of an imported member: by card number within the commune when there is one, else by
/// folded name, birth and branch.
pub fn imported_member_id(
    commune: &Uuid,
    card_number: Option<&str>,
    folded_name: &str,
    birth: Option<&str>,
    branch: &Uuid,
) -> Uuid {
    let key = match card_number {
        Some(card) => format!("member|{commune}|card|{}", card.to_uppercase()),
        None => format!(
            "member|{commune}|person|{folded_name}|{}|{branch}",
            birth.unwrap_or("?")
        ),
    };
    Uuid::new_v5(&NAMESPACE, key.as_bytes())
}

/// A deterministic id for a row that is unique by its key (e.g. a yearly denominator).
pub fn keyed_id(parts: &[&str]) -> Uuid {
    Uuid::new_v5(&NAMESPACE, parts.join("|").as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn import_ids_are_deterministic() {
        let c = Uuid::from_u128(1);
        let b = Uuid::from_u128(2);
        let a1 = imported_member_id(&c, Some("hv001"), "nguyen van an", None, &b);
        let a2 = imported_member_id(
            &c,
            Some("HV001"),
            "other",
            Some("1990"),
            &Uuid::from_u128(3),
        );
        assert_eq!(
            a1, a2,
            "the card number alone identifies a member of a commune"
        );
        let p1 = imported_member_id(&c, None, "nguyen van an", Some("1985"), &b);
        assert_eq!(
            p1,
            imported_member_id(&c, None, "nguyen van an", Some("1985"), &b)
        );
        assert_ne!(
            p1,
            imported_member_id(&c, None, "nguyen van an", Some("1986"), &b)
        );
        assert_ne!(new_id(), new_id());
    }
}
