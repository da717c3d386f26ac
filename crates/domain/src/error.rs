//! Validation errors that name the field (and the row, for imports) in Vietnamese for the
//! officer and in English for logs.

use serde::Serialize;

/// The language a message is shown in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    Vi,
    En,
}

impl Lang {
    /// Parses "vi"/"en" (anything else is Vietnamese, the app's first language).
    pub fn parse(code: &str) -> Lang {
        if code.trim().to_ascii_lowercase().starts_with("en") {
            Lang::En
        } else {
            Lang::Vi
        }
    }
}

/// One field that failed validation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// The field's machine name, e.g. `full_name`.
    pub field: &'static str,
    /// A stable code, e.g. `required`, `invalid_date`.
    pub code: &'static str,
    pub message_vi: String,
    pub message_en: String,
}

impl FieldError {
    pub fn new(
        field: &'static str,
        code: &'static str,
        vi: impl Into<String>,
        en: impl Into<String>,
    ) -> Self {
        FieldError {
            field,
            code,
            message_vi: vi.into(),
            message_en: en.into(),
        }
    }

    pub fn message(&self, lang: Lang) -> &str {
        match lang {
            Lang::Vi => &self.message_vi,
            Lang::En => &self.message_en,
        }
    }
}

/// All the field errors of one record. `Display` (for logs) names fields, never values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("invalid input: {}", .0.iter().map(|e| format!("{} ({})", e.field, e.code)).collect::<Vec<_>>().join(", "))]
pub struct ValidationErrors(pub Vec<FieldError>);

impl ValidationErrors {
    pub fn message(&self, lang: Lang) -> String {
        self.0
            .iter()
            .map(|e| e.message(lang))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// Collects field errors while a record is validated.
#[derive(Debug, Default)]
pub struct Collector(Vec<FieldError>);

impl Collector {
    pub fn push(&mut self, e: FieldError) {
        self.0.push(e);
    }

    /// Keeps the value of `r`, or records its error and returns `None`.
    pub fn take<T>(&mut self, r: Result<T, FieldError>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(e) => {
                self.0.push(e);
                None
            }
        }
    }

    pub fn finish<T>(self, value: impl FnOnce() -> T) -> Result<T, ValidationErrors> {
        if self.0.is_empty() {
            Ok(value())
        } else {
            Err(ValidationErrors(self.0))
        }
    }
}
