//! A hybrid logical clock (HLC): wall time in milliseconds plus a counter, so that a laptop
//! whose clock is wrong still orders its own writes and never goes backwards. A version stamp
//! is the HLC plus the device id: unique and totally ordered as a string.

use std::fmt;

use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Hlc {
    pub wall_ms: u64,
    pub counter: u32,
}

impl Hlc {
    /// The next time for a local event.
    pub fn tick(self, now_ms: u64) -> Hlc {
        if now_ms > self.wall_ms {
            Hlc {
                wall_ms: now_ms,
                counter: 0,
            }
        } else {
            Hlc {
                wall_ms: self.wall_ms,
                counter: self.counter + 1,
            }
        }
    }

    /// The next time after seeing a remote time (a pulled op or the server's clock).
    pub fn receive(self, remote: Hlc, now_ms: u64) -> Hlc {
        let wall = self.wall_ms.max(remote.wall_ms).max(now_ms);
        let counter = if wall == self.wall_ms && wall == remote.wall_ms {
            self.counter.max(remote.counter) + 1
        } else if wall == self.wall_ms {
            self.counter + 1
        } else if wall == remote.wall_ms {
            remote.counter + 1
        } else {
            0
        };
        Hlc {
            wall_ms: wall,
            counter,
        }
    }

    /// The stamp written as a field version: `wall-counter-device`, fixed width, so string
    /// order is (wall, counter, device) order.
    pub fn stamp(self, device: &Uuid) -> String {
        self.stamp_with(&device.as_hyphenated().to_string())
    }

    /// The same, with the device id already written out (the hot path of bulk writes).
    pub fn stamp_with(self, device: &str) -> String {
        format!("{:015}-{:010}-{device}", self.wall_ms, self.counter)
    }

    /// Reads the HLC part of a stamp.
    pub fn from_stamp(stamp: &str) -> Option<Hlc> {
        let mut parts = stamp.splitn(3, '-');
        let wall_ms = parts.next()?.parse().ok()?;
        let counter = parts.next()?.parse().ok()?;
        Some(Hlc { wall_ms, counter })
    }
}

impl fmt::Display for Hlc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.wall_ms, self.counter)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn never_goes_backwards_when_the_wall_clock_does() {
        let a = Hlc::default().tick(1_000);
        let b = a.tick(500); // clock set back
        assert!(b > a);
        let c = b.receive(
            Hlc {
                wall_ms: 2_000,
                counter: 7,
            },
            600,
        );
        assert!(
            c > b
                && c > Hlc {
                    wall_ms: 2_000,
                    counter: 7
                }
        );
    }

    #[test]
    fn stamps_order_like_hlcs() {
        let d = Uuid::nil();
        let a = Hlc {
            wall_ms: 99,
            counter: 12,
        };
        let b = Hlc {
            wall_ms: 100,
            counter: 1,
        };
        assert!(a.stamp(&d) < b.stamp(&d));
        assert_eq!(Hlc::from_stamp(&a.stamp(&d)), Some(a));
        // A counter run up by a clock far ahead still sorts by number, not by digit count.
        let c = Hlc {
            wall_ms: 100,
            counter: 999_999,
        };
        let e = Hlc {
            wall_ms: 100,
            counter: 1_000_000,
        };
        assert!(c.stamp(&d) < e.stamp(&d));
        assert!(
            Hlc {
                wall_ms: 100,
                counter: u32::MAX
            }
            .stamp(&d)
                < Hlc {
                    wall_ms: 101,
                    counter: 0
                }
                .stamp(&d)
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, rng_seed: proptest::test_runner::RngSeed::Fixed(7), ..ProptestConfig::default() })]
        #[test]
        fn ticks_and_receives_are_monotonic(events in proptest::collection::vec((any::<bool>(), 0u64..10_000, 0u64..10_000, 0u32..5), 1..60)) {
            let mut clock = Hlc::default();
            for (remote, now, rwall, rcount) in events {
                let seen = Hlc { wall_ms: rwall, counter: rcount };
                let next = if remote { clock.receive(seen, now) } else { clock.tick(now) };
                prop_assert!(next > clock);
                prop_assert!(!remote || next > seen);
                clock = next;
            }
        }
    }
}
