-- Schema 7 of the server on PostgreSQL: bearer tokens expire once unused for too long (as
-- ../server-sqlite/0007_token_use.sql).

-- When the device's token was last used: set at enrollment, then moved forward by the requests
-- it authenticates, at most once an hour (crates/server/src/token_life.rs). A token unused for
-- longer than `serve --token-idle-days` (365 by default) is refused as `401 token_expired`.
--
-- Devices enrolled before this schema count as having used their token at the upgrade (the
-- default fills them with the migration's time), not at their enrollment: the server never
-- recorded their use, and a laptop enrolled more than a year ago that synced yesterday must not
-- be locked out by an upgrade (with `enrolled_at`, a whole province's older laptops would all
-- be refused the day the server is updated). The price: a token truly abandoned before the
-- upgrade lives one idle period longer; revoking still ends it at once.
ALTER TABLE devices ADD COLUMN token_used_at timestamptz NOT NULL DEFAULT now();

-- From here on every enrollment writes the time itself.
ALTER TABLE devices ALTER COLUMN token_used_at DROP DEFAULT;
