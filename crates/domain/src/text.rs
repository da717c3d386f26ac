//! Vietnamese text rules: folding for tone-insensitive search, splitting a full name into
//! họ / tên đệm / tên, and collation sort keys that order names by given name first.
//!
//! Search folds both the stored text and the query the same way: Unicode NFD, combining marks
//! dropped (tones and the ă/â/ê/ô/ơ/ư marks), `đ`/`Đ` mapped to `d` (NFD leaves đ alone), lower
//! case, runs of white space and punctuation collapsed to one space.

use std::sync::OnceLock;

use icu_collator::options::{CollatorOptions, Strength};
use icu_collator::{Collator, CollatorBorrowed};
use icu_locale::locale;
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::{decompose_canonical, is_combining_mark};

/// Folds text for tone-insensitive matching: "Nguyễn Văn Đức" → "nguyen van duc".
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_space = false;
    for c in text.chars() {
        // The base letter of a precomposed character is the first of its canonical
        // decomposition; combining marks (from decomposed input) are dropped.
        let c = match c {
            'đ' | 'Đ' => 'd',
            c if c.is_ascii() => c,
            c if is_combining_mark(c) => continue,
            c => {
                let mut base = c;
                let mut first = true;
                decompose_canonical(c, |d| {
                    if first {
                        base = d;
                        first = false;
                    }
                });
                base
            }
        };
        if c.is_alphanumeric() {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            for lower in c.to_lowercase() {
                out.push(lower);
            }
        } else {
            pending_space = true;
        }
    }
    out
}

/// The folded words of a search query, each to be matched as a word prefix, in any order.
pub fn search_tokens(query: &str) -> Vec<String> {
    fold(query)
        .split(' ')
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect()
}

/// True when every token is a prefix of some word of `folded` (a value made by [`fold`]).
pub fn matches_tokens(folded: &str, tokens: &[String]) -> bool {
    tokens
        .iter()
        .all(|t| folded.split(' ').any(|w| w.starts_with(t.as_str())))
}

/// Trims, collapses inner white space and puts each word of a name in NFC.
pub fn normalize_name(text: &str) -> String {
    text.split_whitespace()
        .map(|w| w.nfc().collect::<String>())
        .collect::<Vec<_>>()
        .join(" ")
}

/// A Vietnamese full name split into its parts: họ (family), tên đệm (middle), tên (given).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameParts<'a> {
    pub family: &'a str,
    pub middle: &'a str,
    pub given: &'a str,
}

/// Splits a normalised full name: the first word is the family name, the last the given name,
/// the rest the middle name. A one-word name is a given name only.
pub fn split_name(full: &str) -> NameParts<'_> {
    let full = full.trim();
    let (head, given) = match full.rfind(' ') {
        Some(i) => (&full[..i], &full[i + 1..]),
        None => ("", full),
    };
    let (family, middle) = match head.find(' ') {
        Some(i) => (&head[..i], head[i + 1..].trim()),
        None => (head, ""),
    };
    NameParts {
        family,
        middle,
        given,
    }
}

fn collator() -> &'static CollatorBorrowed<'static> {
    static COLLATOR: OnceLock<CollatorBorrowed<'static>> = OnceLock::new();
    COLLATOR.get_or_init(|| {
        let mut options = CollatorOptions::default();
        options.strength = Some(Strength::Tertiary);
        Collator::try_new(locale!("vi").into(), options)
            .expect("the Vietnamese collation data is compiled into icu_collator")
    })
}

/// Compares two strings with Vietnamese collation (ă â đ ê ô ơ ư are letters of their own).
pub fn collate(a: &str, b: &str) -> std::cmp::Ordering {
    collator().compare(a, b)
}

/// A byte key that orders names as Vietnamese lists do: by tên, then tên đệm, then họ, each with
/// Vietnamese collation. Comparing keys with `memcmp` (SQLite BLOB order) gives that order.
pub fn name_sort_key(full_name: &str) -> Vec<u8> {
    let parts = split_name(full_name);
    let mut key = Vec::with_capacity(full_name.len() * 3);
    for part in [parts.given, parts.middle, parts.family] {
        let Ok(()) = collator().write_sort_key_to(part, &mut key);
        // 0x00 never occurs inside a key: it ends each part so a shorter part sorts first.
        key.push(0);
    }
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fold_strips_tones_and_maps_d_bar() {
        assert_eq!(fold("Nguyễn Văn Đức"), "nguyen van duc");
        assert_eq!(fold("  TRẦN   thị  Ánh-Tuyết "), "tran thi anh tuyet");
        assert_eq!(fold("Ưng Hoàng Phúc"), "ung hoang phuc");
        assert_eq!(fold("đđĐ"), "ddd");
    }

    #[test]
    fn fold_handles_decomposed_input() {
        let decomposed: String = "Nguyễn".nfd().collect();
        assert_eq!(fold(&decomposed), "nguyen");
    }

    #[test]
    fn tokens_match_word_prefixes_in_any_order() {
        let folded = fold("Nguyễn Văn An");
        assert!(matches_tokens(&folded, &search_tokens("nguyen an")));
        assert!(matches_tokens(&folded, &search_tokens("an ngu")));
        assert!(matches_tokens(&folded, &search_tokens("VĂN")));
        assert!(!matches_tokens(&folded, &search_tokens("anh")));
        assert!(matches_tokens(&fold("Lê Minh Đức"), &search_tokens("duc")));
    }

    #[test]
    fn split_name_parts() {
        assert_eq!(
            split_name("Nguyễn Thị Minh Khai"),
            NameParts {
                family: "Nguyễn",
                middle: "Thị Minh",
                given: "Khai"
            }
        );
        assert_eq!(
            split_name("Lê An"),
            NameParts {
                family: "Lê",
                middle: "",
                given: "An"
            }
        );
        assert_eq!(
            split_name("Tâm"),
            NameParts {
                family: "",
                middle: "",
                given: "Tâm"
            }
        );
    }

    #[test]
    fn vietnamese_letters_sort_after_their_base() {
        // a < ă < â < b, d < đ < e, o < ô < ơ < p, u < ư < v
        let mut words = vec![
            "ư", "v", "đ", "e", "â", "b", "ơ", "ô", "o", "a", "ă", "d", "u", "p",
        ];
        words.sort_by(|a, b| collate(a, b));
        assert_eq!(
            words,
            [
                "a", "ă", "â", "b", "d", "đ", "e", "o", "ô", "ơ", "p", "u", "ư", "v"
            ]
        );
    }

    #[test]
    fn names_sort_by_given_then_middle_then_family() {
        let mut names = vec![
            "Trần Văn Bình",
            "Nguyễn Thị Ánh",
            "Lê Văn An",
            "Nguyễn Văn An",
            "Phạm Đức Anh",
            "Đỗ Ân",
            "Hoàng Văn Đạt",
            "Bùi Văn Dũng",
        ];
        names.sort_by_key(|n| name_sort_key(n));
        assert_eq!(
            names,
            [
                "Lê Văn An",
                "Nguyễn Văn An",
                "Phạm Đức Anh",
                "Nguyễn Thị Ánh",
                "Đỗ Ân",
                "Trần Văn Bình",
                "Bùi Văn Dũng",
                "Hoàng Văn Đạt",
            ]
        );
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;
        use proptest::test_runner::{Config, RngSeed};

        const LETTERS: &str = "aăâbcdđeêghiklmnoôơpqrstuưvxyáàảãạấầẩẫậắằẳẵặéèẻẽẹếềểễệíìỉĩịóòỏõọốồổỗộớờởỡợúùủũụứừửữựýỳỷỹỵ";

        fn word() -> impl Strategy<Value = String> {
            let letters: Vec<char> = LETTERS.chars().collect();
            proptest::collection::vec(proptest::sample::select(letters), 1..7).prop_map(|cs| {
                let mut w: String = cs.into_iter().collect();
                // Capitalise like a name.
                let first = w.remove(0);
                first.to_uppercase().collect::<String>() + &w
            })
        }

        fn name() -> impl Strategy<Value = Vec<String>> {
            proptest::collection::vec(word(), 1..5)
        }

        proptest! {
            #![proptest_config(Config { cases: 512, rng_seed: RngSeed::Fixed(84), failure_persistence: None, ..Config::default() })]

            #[test]
            fn fold_is_ascii_lowercase_idempotent_and_form_blind(words in name()) {
                let text = words.join(" ");
                let folded = fold(&text);
                prop_assert!(folded.chars().all(|c| c.is_ascii_lowercase() || c == ' '), "{folded}");
                prop_assert_eq!(fold(&folded), folded.clone());
                let decomposed: String = text.nfd().collect();
                prop_assert_eq!(fold(&decomposed), folded.clone(), "NFC and NFD input fold alike");
                prop_assert_eq!(fold(&text.to_uppercase()), folded);
            }

            #[test]
            fn any_word_prefixes_in_any_order_find_the_name(words in name(), picks in proptest::collection::vec((any::<prop::sample::Index>(), 1..4usize), 1..4)) {
                let text = words.join(" ");
                let folded_words: Vec<String> = words.iter().map(|w| fold(w)).collect();
                let query: Vec<String> = picks
                    .iter()
                    .rev()
                    .map(|(i, len)| {
                        let w = i.get(&folded_words);
                        w.chars().take(*len).collect()
                    })
                    .collect();
                prop_assert!(matches_tokens(&fold(&text), &search_tokens(&query.join(" "))), "{query:?} should find {text}");
            }

            #[test]
            fn sort_keys_order_by_given_then_middle_then_family(a in name(), b in name()) {
                let (na, nb) = (a.join(" "), b.join(" "));
                let (pa, pb) = (split_name(&na), split_name(&nb));
                let expected = collate(pa.given, pb.given)
                    .then_with(|| collate(pa.middle, pb.middle))
                    .then_with(|| collate(pa.family, pb.family));
                let by_key = name_sort_key(&na).cmp(&name_sort_key(&nb));
                // Equal parts may still differ in key by nothing else, so compare only strict orders.
                if expected != std::cmp::Ordering::Equal {
                    prop_assert_eq!(by_key, expected, "{} vs {}", na, nb);
                }
            }
        }
    }
}
