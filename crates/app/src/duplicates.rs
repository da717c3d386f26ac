//! Likely duplicate members on the sync screen, and merging two of them into one.

use khuyenhoc_domain::Lang;
use khuyenhoc_store::DuplicateReason;
use serde::Serialize;
use ts_rs::TS;

use crate::error::ApiResult;
use crate::state::{App, lang_of, parse_id};
use crate::views::MemberRow;

/// Records that look like one person, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct DuplicateView {
    /// same_card | same_name_and_birth | same_name_and_phone
    pub reason: String,
    /// Why, in the officer's language.
    pub reason_text: String,
    pub members: Vec<MemberRow>,
}

fn reason_text(reason: DuplicateReason, lang: Lang) -> &'static str {
    match (reason, lang) {
        (DuplicateReason::SameCard, Lang::Vi) => "Cùng số thẻ hội viên",
        (DuplicateReason::SameNameAndBirth, Lang::Vi) => "Cùng họ tên và ngày sinh",
        (DuplicateReason::SameNameAndPhone, Lang::Vi) => "Cùng họ tên và số điện thoại",
        (DuplicateReason::SameCard, Lang::En) => "Same member card",
        (DuplicateReason::SameNameAndBirth, Lang::En) => "Same name and date of birth",
        (DuplicateReason::SameNameAndPhone, Lang::En) => "Same name and phone",
    }
}

impl App {
    /// At most 100 groups of likely duplicates.
    pub fn duplicates(&self) -> ApiResult<Vec<DuplicateView>> {
        self.with(|s| {
            let lang = lang_of(s);
            Ok(s.likely_duplicates(100)?
                .into_iter()
                .map(|g| DuplicateView {
                    reason: serde_json::to_value(g.reason)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_owned))
                        .unwrap_or_default(),
                    reason_text: reason_text(g.reason, lang).to_owned(),
                    members: g.members.iter().map(|m| MemberRow::new(m, lang)).collect(),
                })
                .collect())
        })
    }

    /// Keeps `survivor`, which takes the details it lacks from `other`; `other` leaves the lists.
    pub fn merge_members(&self, survivor: String, other: String) -> ApiResult<MemberRow> {
        self.with(|s| {
            let lang = lang_of(s);
            let survivor = parse_id(&survivor, "survivor")?;
            let other = parse_id(&other, "other")?;
            s.merge_members(&survivor, &other)
                .map(|m| MemberRow::new(&m, lang))
        })
    }
}
