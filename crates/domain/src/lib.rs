//! The pure domain of khuyenhoc: types, validation, money as integer đồng, dates as officers
//! write them, the hybrid logical clock, ids, and the Vietnamese text rules (folding, name
//! order). No I/O and no database here, so all of it is tested without a file.

pub mod citizen_id;
pub mod date;
pub mod error;
pub mod hlc;
pub mod ids;
pub mod member;
pub mod money;
pub mod officer;
pub mod org;
pub mod phone;
pub mod text;

pub use date::PartialDate;
pub use error::{FieldError, Lang, ValidationErrors};
pub use hlc::Hlc;
pub use member::{Gender, MemberFields, MemberInput, MemberStatus};
pub use money::Dong;
pub use officer::{OfficerFields, OfficerInput, Permission, Role};
