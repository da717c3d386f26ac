//! The officers screen: who may use the app on this commune's laptops, with which role.

use serde::Deserialize;
use ts_rs::TS;

use khuyenhoc_domain::officer::parse_role;
use khuyenhoc_domain::{OfficerInput, Role, ValidationErrors};
use khuyenhoc_store::StoreError;

use crate::error::ApiResult;
use crate::state::{App, lang_of};
use crate::views::OfficerView;

/// A new officer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, TS)]
pub struct OfficerForm {
    pub username: String,
    pub full_name: String,
    /// chairperson | secretary | treasurer | viewer
    pub role: String,
    pub pin: String,
}

fn role_of(code: &str) -> Result<Role, StoreError> {
    parse_role(code).map_err(|e| StoreError::Invalid(ValidationErrors(vec![e])))
}

impl App {
    pub fn officers(&self) -> ApiResult<Vec<OfficerView>> {
        self.with(|s| {
            let lang = lang_of(s);
            s.require(khuyenhoc_domain::Permission::ReadMembers)?;
            Ok(s.officers()?
                .iter()
                .map(|o| OfficerView::new(o, lang))
                .collect())
        })
    }

    pub fn officer_add(&self, form: OfficerForm) -> ApiResult<OfficerView> {
        self.with(|s| {
            let lang = lang_of(s);
            let o = s.add_officer(&OfficerInput {
                username: form.username,
                full_name: form.full_name,
                role: form.role,
                pin: form.pin,
            })?;
            Ok(OfficerView::new(&o, lang))
        })
    }

    pub fn officer_set_role(
        &self,
        username: String,
        role: String,
        active: bool,
    ) -> ApiResult<OfficerView> {
        self.with(|s| {
            let lang = lang_of(s);
            let o = s.set_officer_role(&username, role_of(&role)?, active)?;
            Ok(OfficerView::new(&o, lang))
        })
    }

    /// One's own PIN (knowing the current one), or anyone's as chairperson.
    pub fn change_pin(
        &self,
        username: String,
        old_pin: Option<String>,
        new_pin: String,
    ) -> ApiResult<()> {
        self.with(|s| s.change_pin(&username, old_pin.as_deref(), &new_pin))
    }
}
