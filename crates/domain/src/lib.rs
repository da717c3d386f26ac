//! The pure domain of khuyenhoc: types, validation, money as integer đồng, and the Vietnamese
//! text rules (folding, name order). No I/O and no database here.

pub mod text;
