//! How long a bearer token lives: until it has gone unused for `serve --token-idle-days` days
//! (365 by default). The life slides: every request the token authenticates keeps it alive, so a
//! laptop that syncs now and then never sees it end, while one lost or left in a drawer for a
//! year loses its access by itself (revoking stays the way to end a token at once).
//!
//! The server keeps the time of the token's last use (`devices.token_used_at`), refreshed at
//! most once per [`REFRESH_EVERY`]: a write per request would cost more than the request, and
//! an hour is nothing against a life counted in days. The stored time may therefore lag the real
//! last use by up to that much, and a token may end that much before `idle` after its last use.
//!
//! **Against the purge horizon.** The life must be longer than the horizon past which a silent
//! laptop no longer holds the tombstone purge back (`--purge-horizon-days`, 90 by default):
//! every laptop that holds the purge back has then pulled (used its token) within the horizon,
//! so its token is alive; and a laptop silent past the horizon can still come back by itself
//! within the token's life (`410 cursor_purged`: it pushes what it has pending and pulls from
//! zero). Past the token's life it needs a new enrollment code; it enrolls again under the same
//! device id (its queued ops are kept on it and sent once it is back).

use jiff::{SignedDuration, Timestamp};

/// Days a token may go unused before it is refused (`serve --token-idle-days`).
pub const DEFAULT_TOKEN_IDLE_DAYS: u32 = 365;

/// The stored last use is refreshed when it is older than this.
pub const REFRESH_EVERY: SignedDuration = SignedDuration::from_hours(1);

const DAY: SignedDuration = SignedDuration::from_hours(24);

/// The life of a token, as the server was started with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenLife {
    idle: SignedDuration,
}

impl Default for TokenLife {
    fn default() -> Self {
        Self::idle_days(DEFAULT_TOKEN_IDLE_DAYS)
    }
}

impl TokenLife {
    /// A token refused once unused for `days` days.
    pub fn idle_days(days: u32) -> Self {
        Self {
            idle: DAY * i32::try_from(days).unwrap_or(i32::MAX),
        }
    }

    /// A token last used before this time has expired at `now`.
    pub fn expired_before(&self, now: Timestamp) -> Timestamp {
        now.checked_sub(self.idle).unwrap_or(Timestamp::MIN)
    }

    /// Whether a token last used at `last_used` has expired at `now`.
    pub fn expired(&self, last_used: Timestamp, now: Timestamp) -> bool {
        last_used < self.expired_before(now)
    }

    /// Whether a use at `now` should be written down (the stored one is an hour old or more).
    pub fn needs_refresh(&self, last_used: Timestamp, now: Timestamp) -> bool {
        now.duration_since(last_used) >= REFRESH_EVERY
    }
}

/// Checks `--token-idle-days` against `--purge-horizon-days` (see the module's documentation):
/// the English reason when the token would not outlive the horizon.
pub fn check_against_horizon(token_idle_days: u32, horizon_days: u32) -> Result<(), String> {
    if token_idle_days > horizon_days {
        Ok(())
    } else {
        Err(format!(
            "the token idle limit ({token_idle_days} days) must be longer than the purge \
             horizon ({horizon_days} days): a laptop silent past the horizon must still be able \
             to come back and pull everything again with its token"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> Timestamp {
        "2026-03-01T12:00:00Z".parse().unwrap()
    }

    fn ago(hours: i64) -> Timestamp {
        now() - SignedDuration::from_hours(hours)
    }

    #[test]
    fn a_token_expires_once_unused_for_longer_than_the_limit() {
        let life = TokenLife::idle_days(30);
        assert!(!life.expired(ago(1), now()));
        assert!(!life.expired(ago(30 * 24), now()), "exactly at the limit");
        assert!(life.expired(ago(30 * 24 + 1), now()));
        assert_eq!(TokenLife::default(), TokenLife::idle_days(365));
        assert!(!TokenLife::default().expired(ago(364 * 24), now()));
    }

    #[test]
    fn the_last_use_is_written_at_most_once_an_hour() {
        let life = TokenLife::default();
        assert!(!life.needs_refresh(now(), now()));
        assert!(!life.needs_refresh(now() - SignedDuration::from_mins(59), now()));
        assert!(life.needs_refresh(ago(1), now()));
        // A clock set back does not write an earlier time.
        assert!(!life.needs_refresh(now() + SignedDuration::from_hours(2), now()));
    }

    #[test]
    fn a_huge_limit_does_not_overflow() {
        let life = TokenLife::idle_days(u32::MAX);
        assert!(!life.expired(Timestamp::MIN, now()));
    }

    #[test]
    fn the_token_must_outlive_the_purge_horizon() {
        assert!(check_against_horizon(365, 90).is_ok());
        assert!(check_against_horizon(91, 90).is_ok());
        assert!(check_against_horizon(90, 90).is_err());
        assert!(check_against_horizon(30, 90).is_err());
    }
}
