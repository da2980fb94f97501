-- Bulk seed for the `scale` scenario: N users (one shared argon2id hash at the
-- production parameters, verified, role USER), M sessions spread over them, and
-- one live refresh token per session. One transaction, set-based, no API.
--
-- Parameters (custom settings, set by bench/run.mjs before this script):
--   bench.users          number of users, e.g. 1000000
--   bench.sessions       number of sessions, e.g. 2000000
--   bench.password_hash  a precomputed argon2id hash of the bench password
--
-- Seeded accounts are seed-<n>@seed.bench; their session tokens are never
-- handed out (the hashes are of the session ids), they only add rows.
SET synchronous_commit = off;
SET maintenance_work_mem = '256MB';

BEGIN;

CREATE TEMP TABLE seed_bounds ON COMMIT DROP AS
SELECT coalesce(max(id), 0) AS first_id FROM users;

INSERT INTO users (email, password_hash, first_name, last_name, account_type, email_verified_at, created_at, updated_at)
SELECT
  'seed-' || g || '@seed.bench',
  current_setting('bench.password_hash'),
  'Seed',
  'User ' || g,
  CASE WHEN g % 10 = 0 THEN 'BUSINESS' ELSE 'INDIVIDUAL' END,
  now() - interval '30 days',
  now() - interval '30 days' - (g % 1440) * interval '1 minute',
  now() - interval '30 days'
FROM generate_series(1, current_setting('bench.users')::int) AS g;

INSERT INTO user_roles (user_id, role_id, created_at)
SELECT u.id, r.id, u.created_at
FROM users u
CROSS JOIN (SELECT id FROM roles WHERE name = 'USER') r
WHERE u.id > (SELECT first_id FROM seed_bounds);

-- Sessions round-robin over the seeded users (user ids are consecutive: one
-- INSERT into an identity column with nobody else writing).
INSERT INTO sessions (id, user_id, device_id, device_name, platform, app_version, user_agent, ip_address,
                      created_at, last_active_at, expires_at)
SELECT
  gen_random_uuid(),
  (SELECT first_id FROM seed_bounds) + 1 + ((g - 1) % current_setting('bench.users')::int),
  'seed-device-' || g,
  'Seed device ' || g,
  CASE WHEN g % 2 = 0 THEN 'iOS' ELSE 'Android' END,
  '1.0.0',
  'bench-seed',
  '127.0.0.1',
  now() - interval '1 day',
  now() - (g % 3600) * interval '1 second',
  now() + interval '29 days'
FROM generate_series(1, current_setting('bench.sessions')::int) AS g;

INSERT INTO refresh_tokens (id, session_id, user_id, token_hash, created_at, expires_at)
SELECT gen_random_uuid(), s.id, s.user_id, encode(sha256(convert_to(s.id::text, 'UTF8')), 'hex'), s.created_at, s.expires_at
FROM sessions s
WHERE s.user_id > (SELECT first_id FROM seed_bounds);

COMMIT;
