//! The members screen: instant search, pages in name order, the add/edit form with field-level
//! messages, status changes with their history.

use khuyenhoc_domain::{FieldError, MemberInput, MemberStatus, ValidationErrors};
use khuyenhoc_store::{MemberQuery, StoreError};

use crate::error::ApiResult;
use crate::state::{App, given, lang_of, parse_id};
use crate::views::{
    MemberDetail, MemberForm, MemberPageView, MemberQueryForm, MemberRow, StatusEventView,
    StatusForm,
};

fn status_of(code: &str, field: &'static str) -> Result<MemberStatus, StoreError> {
    MemberStatus::parse(code).ok_or_else(|| {
        StoreError::Invalid(ValidationErrors(vec![FieldError::new(
            field,
            "invalid_status",
            "Tình trạng phải là: đang sinh hoạt, chuyển đi, thôi sinh hoạt hoặc từ trần.",
            "unknown member status",
        )]))
    })
}

fn input_of(form: &MemberForm) -> MemberInput {
    MemberInput {
        full_name: form.full_name.clone(),
        gender: given(&form.gender),
        birth: given(&form.birth),
        phone: given(&form.phone),
        address: given(&form.address),
        join_date: given(&form.join_date),
        card_number: given(&form.card_number),
        citizen_id: given(&form.citizen_id),
        note: given(&form.note),
    }
}

impl App {
    /// One page of members matching the query, in Vietnamese name order.
    pub fn members_page(&self, q: MemberQueryForm) -> ApiResult<MemberPageView> {
        self.with(|s| {
            let lang = lang_of(s);
            let query = MemberQuery {
                text: given(&q.text),
                unit: match given(&q.unit_id) {
                    Some(u) => Some(parse_id(&u, "unit_id")?),
                    None => None,
                },
                status: match given(&q.status) {
                    Some(st) => Some(status_of(&st, "status")?),
                    None => None,
                },
                limit: q.limit.unwrap_or(100) as usize,
                after: given(&q.after),
            };
            let page = s.list_members(&query)?;
            let total = if query.text.is_none() && query.after.is_none() {
                let c = s.member_counts(query.unit.as_ref())?;
                Some(match query.status {
                    None => c.total,
                    Some(MemberStatus::Active) => c.active,
                    Some(MemberStatus::MovedAway) => c.moved_away,
                    Some(MemberStatus::Left) => c.left,
                    Some(MemberStatus::Deceased) => c.deceased,
                } as u32)
            } else {
                None
            };
            Ok(MemberPageView {
                total,
                rows: page
                    .members
                    .iter()
                    .map(|m| MemberRow::new(m, lang))
                    .collect(),
                next: page.next,
            })
        })
    }

    pub fn member_detail(&self, id: String) -> ApiResult<MemberDetail> {
        self.with(|s| {
            let lang = lang_of(s);
            let id = parse_id(&id, "id")?;
            let member = s.get_member(&id)?;
            let (_, input) = s.member_input(&id)?;
            let history = s.member_status_history(&id)?;
            Ok(MemberDetail {
                row: MemberRow::new(&member, lang),
                form: MemberForm {
                    id: Some(id.to_string()),
                    unit_id: member.unit_id.to_string(),
                    full_name: input.full_name,
                    gender: input.gender,
                    birth: member.birth.map(|d| d.to_string()),
                    phone: input.phone,
                    address: input.address,
                    join_date: member.join_date.map(|d| d.to_string()),
                    card_number: input.card_number,
                    citizen_id: None,
                    note: input.note,
                },
                citizen_id_masked: member.citizen_id_masked.clone(),
                history: history
                    .iter()
                    .map(|e| StatusEventView::new(e, lang))
                    .collect(),
            })
        })
    }

    /// Adds (no id) or updates a member. A citizen ID left empty on edit keeps the stored one.
    pub fn member_save(&self, form: MemberForm) -> ApiResult<MemberRow> {
        self.with(|s| {
            let lang = lang_of(s);
            let unit = parse_id(&form.unit_id, "unit_id")?;
            let member = match given(&form.id) {
                None => s.add_member(&unit, &input_of(&form))?,
                Some(id) => {
                    let id = parse_id(&id, "id")?;
                    let mut input = input_of(&form);
                    if input.citizen_id.is_none() {
                        input.citizen_id = s.member_input(&id)?.1.citizen_id;
                    }
                    s.update_member(&id, &input, Some(&unit))?
                }
            };
            Ok(MemberRow::new(&member, lang))
        })
    }

    pub fn member_set_status(&self, form: StatusForm) -> ApiResult<MemberDetail> {
        let id = form.member_id.clone();
        self.with(|s| {
            let status = status_of(&form.status, "status")?;
            s.set_member_status(
                &parse_id(&form.member_id, "member_id")?,
                status,
                given(&form.date).as_deref(),
                given(&form.note).as_deref(),
            )
            .map(|_| ())
        })?;
        self.member_detail(id)
    }
}
