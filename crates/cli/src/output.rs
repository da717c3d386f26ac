//! Output: human text in Vietnamese (or English), or JSON with `--json`. Errors are printed as
//! `{"error": {"code", "message"}}` in JSON mode and as a plain sentence otherwise.

use khuyenhoc_domain::Lang;
use khuyenhoc_store::StoreError;
use serde::Serialize;

pub struct Out {
    pub json: bool,
    pub lang: Lang,
}

impl Out {
    pub fn json_value<T: Serialize + ?Sized>(&self, value: &T) -> Result<(), StoreError> {
        println!(
            "{}",
            serde_json::to_string_pretty(value).expect("serialisable")
        );
        Ok(())
    }

    /// Prints `value` as JSON, or the human sentence.
    pub fn done<T: Serialize + ?Sized>(&self, value: &T, human: &str) -> Result<(), StoreError> {
        if self.json {
            self.json_value(value)
        } else {
            println!("{human}");
            Ok(())
        }
    }

    pub fn error(&self, e: &StoreError) {
        let message = e.message(self.lang);
        if self.json {
            let mut body = serde_json::json!({ "code": e.code(), "message": message });
            if let StoreError::Invalid(v) = e {
                body["fields"] = serde_json::to_value(&v.0).expect("serialisable");
            }
            println!("{}", serde_json::json!({ "error": body }));
        } else {
            let label = if self.lang == Lang::En {
                "Error"
            } else {
                "Lỗi"
            };
            eprintln!("{label}: {message}");
        }
    }
}
