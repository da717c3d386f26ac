//! Purging tombstones, the rules shared by both databases ([`super::sqlite_purge`],
//! [`super::postgres_purge`]).
//!
//! A tombstone is a synced row whose `deleted` field is `true` (members, org units, unit
//! denominators, dues, officers; history rows have no such field and are never purged). Its
//! change-log entries and its state can go once every **active** device has pulled past its
//! last change: the **low-water mark** is the smallest pull cursor of the devices that are not
//! revoked and have pulled within the horizon (a device that never pulled counts as cursor 0
//! while its enrollment is within the horizon). A purge removes, in one transaction, every
//! tombstone whose last change is at or below that mark, keeps its key in `purged_rows` (a late
//! edit of it is refused as `row_purged`, not turned into a half record), and raises the
//! **purge point** (`purged_through` in `server_meta`) to the highest version it removed.
//!
//! A device whose cursor lies above 0 but below the purge point may hold a purged row whose
//! deletion it never pulled, unless it last pulled from zero after that purge point (then it
//! never received the row): otherwise its pull is refused (`410 cursor_purged`), and it pushes
//! what it has pending and pulls again from zero, dropping the rows the server no longer sends.
//! Pages end at or above the purge point ([`head`]), so a device pulling from zero leaves the
//! purged range behind.

use jiff::{SignedDuration, Timestamp};
use serde::Serialize;

/// Devices silent for longer than this many days no longer hold the purge back (the default of
/// `admin purge --horizon-days` and of the purge `serve` runs by itself). Shorter than a token's
/// life ([`crate::token_life`]): a device silent past the horizon can still come back with its
/// token and pull everything again.
pub const DEFAULT_HORIZON_DAYS: u32 = 90;

/// What a purge needs to know of one enrolled device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeviceProgress {
    pub revoked: bool,
    pub enrolled_at: Timestamp,
    /// Its last pull: the cursor it pulled after, and when.
    pub last_pull: Option<(i64, Timestamp)>,
}

/// The smallest cursor among the devices active at `now` (not revoked, seen within `horizon`),
/// never above `head` (the newest version); `head` when no device is active.
pub fn low_water_mark(
    devices: &[DeviceProgress],
    now: Timestamp,
    horizon: SignedDuration,
    head: i64,
) -> i64 {
    let since = now.checked_sub(horizon).unwrap_or(Timestamp::MIN);
    devices
        .iter()
        .filter(|d| !d.revoked)
        .filter_map(|d| match d.last_pull {
            Some((cursor, at)) => (at >= since).then_some(cursor.max(0)),
            None => (d.enrolled_at >= since).then_some(0),
        })
        .min()
        .unwrap_or(head)
        .min(head)
}

/// Whether a pull after `cursor` must be refused: the cursor lies below the purge point and the
/// device has not pulled from zero since that point (`clean_through`), so it may hold a row
/// whose deletion was purged before it pulled it.
pub fn cursor_purged(cursor: i64, purged_through: i64, clean_through: i64) -> bool {
    cursor > 0 && cursor < purged_through && clean_through < purged_through
}

/// The newest version a page may end at: the newest change, or the purge point when the newest
/// changes were purged (a device that read everything is then past the purge point).
pub fn head(max_version: i64, purged_through: i64) -> i64 {
    max_version.max(purged_through)
}

/// What a purge did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct PurgeReport {
    /// The low-water mark: tombstones whose last change is at or below it were purged.
    pub low_water: i64,
    /// Devices counted (not revoked, seen within the horizon).
    pub active_devices: usize,
    /// Rows purged.
    pub rows: usize,
    /// Change-log entries removed with them.
    pub changes: usize,
    /// The purge point after this purge.
    pub purged_through: i64,
}

/// The devices active at `now` within `horizon`.
pub fn active_devices(
    devices: &[DeviceProgress],
    now: Timestamp,
    horizon: SignedDuration,
) -> usize {
    let since = now.checked_sub(horizon).unwrap_or(Timestamp::MIN);
    devices
        .iter()
        .filter(|d| !d.revoked && d.last_pull.map_or(d.enrolled_at, |(_, at)| at) >= since)
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: SignedDuration = SignedDuration::from_hours(24);

    fn now() -> Timestamp {
        "2026-03-01T00:00:00Z".parse().unwrap()
    }

    fn ago(days: i64) -> Timestamp {
        now() - SignedDuration::from_hours(24 * days)
    }

    fn pulled(cursor: i64, days_ago: i64) -> DeviceProgress {
        DeviceProgress {
            revoked: false,
            enrolled_at: ago(400),
            last_pull: Some((cursor, ago(days_ago))),
        }
    }

    fn horizon() -> SignedDuration {
        DAY * 90
    }

    #[test]
    fn the_slowest_active_device_sets_the_mark() {
        let devices = [pulled(40, 1), pulled(12, 3), pulled(90, 0)];
        assert_eq!(low_water_mark(&devices, now(), horizon(), 100), 12);
        assert_eq!(active_devices(&devices, now(), horizon()), 3);
    }

    #[test]
    fn revoked_and_silent_devices_do_not_hold_the_purge_back() {
        let revoked = DeviceProgress {
            revoked: true,
            ..pulled(3, 1)
        };
        let silent = pulled(5, 91);
        let devices = [revoked, silent, pulled(70, 2)];
        assert_eq!(low_water_mark(&devices, now(), horizon(), 100), 70);
        assert_eq!(active_devices(&devices, now(), horizon()), 1);
        // Seen exactly at the horizon still counts.
        let edge = pulled(5, 90);
        assert_eq!(low_water_mark(&[edge], now(), horizon(), 100), 5);
    }

    #[test]
    fn a_device_that_never_pulled_counts_as_zero_while_its_enrollment_is_recent() {
        let new = DeviceProgress {
            revoked: false,
            enrolled_at: ago(2),
            last_pull: None,
        };
        let forgotten = DeviceProgress {
            enrolled_at: ago(200),
            ..new
        };
        assert_eq!(
            low_water_mark(&[pulled(50, 1), new], now(), horizon(), 60),
            0
        );
        assert_eq!(
            low_water_mark(&[pulled(50, 1), forgotten], now(), horizon(), 60),
            50
        );
    }

    #[test]
    fn with_no_active_device_everything_up_to_the_head_may_go() {
        assert_eq!(low_water_mark(&[], now(), horizon(), 77), 77);
        assert_eq!(low_water_mark(&[pulled(5, 400)], now(), horizon(), 77), 77);
    }

    #[test]
    fn a_cursor_past_the_head_does_not_lift_the_mark_past_it() {
        // A device that pulled from a server since restored from an older backup.
        assert_eq!(low_water_mark(&[pulled(500, 1)], now(), horizon(), 80), 80);
    }

    #[test]
    fn a_cursor_below_the_purge_point_is_refused_unless_zero_or_pulled_from_zero_since() {
        assert!(cursor_purged(10, 50, 0));
        assert!(
            cursor_purged(49, 50, 30),
            "pulled from zero before the last purge"
        );
        assert!(
            !cursor_purged(0, 50, 0),
            "from zero: sees no purged row at all"
        );
        assert!(!cursor_purged(50, 50, 0), "pulled past every purged change");
        assert!(
            !cursor_purged(10, 50, 50),
            "pulled from zero after the purge"
        );
        assert!(!cursor_purged(10, 0, 0), "nothing purged yet");
    }

    #[test]
    fn pages_end_at_or_above_the_purge_point() {
        assert_eq!(head(120, 80), 120);
        assert_eq!(head(70, 80), 80);
    }
}
