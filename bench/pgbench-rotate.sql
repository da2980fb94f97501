-- PostgreSQL's own ceiling for refresh rotation: the statement of
-- `prepareRotation` (src/modules/sessions/repository.ts) driven by pgbench,
-- each client continuing its own chain (\gset keeps the next token's hash).
-- On a database migrated and seeded with bench/seed-scale.sql:
--
--   psql -d DB -c "update refresh_tokens r set token_hash = 'c' || n.k from (select id,
--     row_number() over (order by id) - 1 as k from refresh_tokens where rotated_at is null
--     order by id limit 10) n where r.id = n.id"
--   pgbench -n -M prepared -c 10 -j 1 -T 10 -D tok=init -f bench/pgbench-rotate.sql DB
with claimed as (
  update refresh_tokens t set rotated_at = now()
  from sessions s, users u
  where t.token_hash = (case when :tok = 'init' then 'c' || :client_id else :tok end)
    and t.rotated_at is null and t.revoked_at is null and t.expires_at > now()
    and s.id = t.session_id and s.revoked_at is null and s.expires_at > now()
    and u.id = t.user_id
    and case when u.locked_until is not null then u.locked_until <= now() else u.locked_at is null end
    and not exists (select 1 from blacklisted_devices b where b.device_id = s.device_id)
  returning t.session_id, t.user_id, s.expires_at as session_expires_at
), touched as (
  update sessions set last_active_at = now() from claimed where sessions.id = claimed.session_id
)
insert into refresh_tokens (id, session_id, user_id, token_hash, created_at, expires_at)
select gen_random_uuid(), session_id, user_id, md5(random()::text), now(), least(now() + interval '30 days', session_expires_at)
from claimed
returning token_hash as tok
\gset
