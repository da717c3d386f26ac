//! Property tests: random strings of Vietnamese letters and spaces round-trip through each
//! encoding (with a fixed seed, so runs are repeatable).

use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};

use super::{LOWER, UPPER, all_letters};
use crate::{Encoding, decode, decode_bytes, encode, encode_bytes};

fn config() -> Config {
    Config {
        cases: 256,
        rng_seed: RngSeed::Fixed(42),
        failure_persistence: None,
        ..Config::default()
    }
}

/// Space-separated words of letters drawn from `pool`.
fn text(pool: Vec<char>) -> impl Strategy<Value = String> {
    let word = prop::collection::vec(prop::sample::select(pool), 1..8)
        .prop_map(|w| w.into_iter().collect::<String>());
    prop::collection::vec(word, 0..8).prop_map(|ws| ws.join(" "))
}

fn any_pool() -> Vec<char> {
    all_letters()
        .into_iter()
        .chain('a'..='z')
        .chain('A'..='Z')
        .collect()
}

fn lowercase_pool() -> Vec<char> {
    LOWER.chars().chain('a'..='z').collect()
}

fn capital_pool() -> Vec<char> {
    UPPER.chars().chain('A'..='Z').collect()
}

/// Decodes what `encode_bytes` wrote.
fn via_bytes(s: &str, e: Encoding) -> String {
    decode_bytes(&encode_bytes(s, e), e)
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn vni_round_trips_any_letters(s in text(any_pool())) {
        let enc = encode(&s, Encoding::VniWindows);
        prop_assert_eq!(decode(&enc, Encoding::VniWindows), s.clone());
        prop_assert_eq!(via_bytes(&s, Encoding::VniWindows), s);
    }

    #[test]
    fn tcvn3_round_trips_lowercase_text(s in text(lowercase_pool())) {
        let enc = encode(&s, Encoding::Tcvn3);
        prop_assert_eq!(decode(&enc, Encoding::Tcvn3), s.clone());
        prop_assert_eq!(via_bytes(&s, Encoding::Tcvn3), s);
    }

    #[test]
    fn tcvn3_round_trips_capital_words(s in text(capital_pool())) {
        // Two ASCII capitals in front make every word unmistakably all-capitals.
        let s = s
            .split(' ')
            .filter(|w| !w.is_empty())
            .map(|w| format!("TH{w}"))
            .collect::<Vec<_>>()
            .join(" ");
        prop_assert_eq!(decode(&encode(&s, Encoding::Tcvn3), Encoding::Tcvn3), s);
    }

    #[test]
    fn tcvn3_round_trips_mixed_case_up_to_case(s in text(any_pool())) {
        // TCVN3 cannot store capitals with tones; only their case may be lost.
        let back = decode(&encode(&s, Encoding::Tcvn3), Encoding::Tcvn3);
        prop_assert_eq!(back.to_lowercase(), s.to_lowercase());
    }
}
