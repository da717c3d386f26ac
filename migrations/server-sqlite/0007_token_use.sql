-- Schema 7 of the server: bearer tokens expire once unused for too long (issue #4). Times are
-- milliseconds since the Unix epoch, as in 0001.

-- When the device's token was last used: set at enrollment, then moved forward by the requests
-- it authenticates, at most once an hour (crates/server/src/token_life.rs). A token unused for
-- longer than `serve --token-idle-days` (365 by default) is refused as `401 token_expired`.
-- The default 0 is only there because SQLite cannot add a NOT NULL column without one: every
-- enrollment writes the real time, and a row that missed it would count as expired, never as
-- alive for ever.
ALTER TABLE devices ADD COLUMN token_used_at INTEGER NOT NULL DEFAULT 0;

-- Devices enrolled before this schema count as having used their token at the upgrade, not at
-- their enrollment: the server never recorded their use, and a laptop enrolled more than a
-- year ago that synced yesterday must not be locked out by an upgrade (with `enrolled_at`, a
-- whole province's older laptops would all be refused the day the server is updated). The
-- price: a token truly abandoned before the upgrade lives one idle period longer; revoking
-- still ends it at once.
UPDATE devices SET token_used_at = CAST(strftime('%s', 'now') AS INTEGER) * 1000;
