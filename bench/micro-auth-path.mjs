// Micro-benchmarks of the authenticated request path, to size the fixes the
// README suggests. Runs on the server core (taskset -c 0), 50 operations in
// flight like the `profile` scenario, against a fresh PostgreSQL database:
//
//   1. access-token check: the server's own verifier (jose, WebCrypto: every
//      verify is a job on the libuv thread pool) vs a synchronous node:crypto
//      Ed25519 verify of the same token;
//   2. the profile's database work: the server's three repository calls
//      (drizzle builds each query per call) vs the same three as drizzle
//      prepared statements vs one named SQL statement returning it all.
//
//   node bench/micro-auth-path.mjs        (BENCH_DURATION seconds per case, default 10)
import { spawnSync } from 'node:child_process';
import { KeyObject, verify as verifySignature } from 'node:crypto';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { and, eq, gt, isNull, sql } from 'drizzle-orm';
import { generateKeyPair } from 'jose';
import pg from 'pg';
import { canPin, root, settings } from './lib.mjs';

const inFlight = 50;
const seconds = Number(process.env.BENCH_DURATION ?? 10);
const database = `${settings.database}_micro`;

if (process.env.BENCH_MICRO_PINNED !== '1' && canPin()) {
  const result = spawnSync('taskset', ['-c', settings.serverCpu, process.execPath, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, BENCH_MICRO_PINNED: '1' },
  });
  process.exit(result.status ?? 1);
}

/** Runs `operation` with `inFlight` concurrent loops for `seconds`; ops/s and CPU share of this process. */
async function rate(label, operation) {
  const warmUntil = performance.now() + 1000;
  while (performance.now() < warmUntil) await Promise.all(Array.from({ length: inFlight }, operation));
  let count = 0;
  const until = performance.now() + seconds * 1000;
  const cpuBefore = process.cpuUsage();
  const startedAt = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (performance.now() < until) {
        await operation();
        count++;
      }
    }),
  );
  const elapsed = (performance.now() - startedAt) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const perSecond = Math.round(count / elapsed);
  const cpuPct = Math.round(((cpu.user + cpu.system) / 1e6 / elapsed) * 100);
  const cpuMicros = Math.round(((cpu.user + cpu.system) / count) * 10) / 10;
  console.log(`${label.padEnd(58)} ${String(perSecond).padStart(7)} /s   cpu ${cpuPct}%   ${cpuMicros} µs CPU each`);
  return { perSecond, cpuPct, cpuMicros };
}

async function tokens() {
  const { createAccessTokens } = await import(join(root, 'dist', 'platform', 'access-tokens.js'));
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
  const key = { kid: 'k1', privateKey, publicKey, publicJwk: {} };
  const accessTokens = createAccessTokens([key], {
    issuer: 'gatehouse',
    audience: 'gatehouse',
    ttlSeconds: 3600,
    reloadKeys: async () => [key],
    now: () => new Date(),
  });
  const token = await accessTokens.sign({ userId: 42, sessionId: '3f0c2a0e-9a55-4c4e-8d61-0d2b7a3c9f10' }, new Date());
  const publicKeyObject = KeyObject.from(publicKey);
  // What a synchronous verifier does: split, check the Ed25519 signature, parse and check claims.
  const verifySync = (jwt) => {
    const [header, payload, signature] = jwt.split('.');
    const ok = verifySignature(
      null,
      Buffer.from(`${header}.${payload}`),
      publicKeyObject,
      Buffer.from(signature, 'base64url'),
    );
    if (!ok) return null;
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    if (claims.iss !== 'gatehouse' || claims.aud !== 'gatehouse' || claims.exp * 1000 < Date.now()) return null;
    return { userId: Number(claims.sub), sessionId: claims.sid };
  };
  if (!(await accessTokens.verify(token)) || !verifySync(token)) throw new Error('token check failed');
  console.log('\naccess-token check (EdDSA), 50 in flight:');
  await rate('jose jwtVerify (WebCrypto, thread-pool job per verify)', () => accessTokens.verify(token));
  await rate('node:crypto verify (synchronous, on the event loop)', async () => verifySync(token));
}

async function admin(text) {
  const client = new pg.Client({ connectionString: settings.adminUrl });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

async function profileQueries() {
  await admin(`drop database if exists ${database} with (force)`);
  await admin(`create database ${database}`);
  const url = new URL(settings.adminUrl);
  url.pathname = `/${database}`;
  const { openDatabase } = await import(join(root, 'dist', 'db', 'database.js'));
  const schema = await import(join(root, 'dist', 'db', 'schema.js'));
  const { createSessionRepository } = await import(join(root, 'dist', 'modules', 'sessions', 'repository.js'));
  const { createUserRepository } = await import(join(root, 'dist', 'modules', 'users', 'repository.js'));
  const { createRoleRepository } = await import(join(root, 'dist', 'modules', 'roles', 'repository.js'));
  const handle = await openDatabase({ databaseUrl: url.toString() });
  try {
    await handle.migrate();
    const { db } = handle;
    await db.execute(sql`
      insert into users (email, password_hash, email_verified_at, created_at, updated_at)
      values ('micro@example.com', 'x', now(), now(), now())`);
    await db.execute(sql`
      insert into user_roles (user_id, role_id, created_at)
      select u.id, r.id, now() from users u, roles r where u.email = 'micro@example.com' and r.name = 'USER'`);
    const sessionId = '3f0c2a0e-9a55-4c4e-8d61-0d2b7a3c9f10';
    await db.execute(sql`
      insert into sessions (id, user_id, created_at, last_active_at, expires_at)
      select ${sessionId}, id, now(), now() + interval '1 day', now() + interval '30 days' from users where email = 'micro@example.com'`);
    const userId = (await db.execute(sql`select id from users where email = 'micro@example.com'`)).rows[0].id;

    const sessions = createSessionRepository(db);
    const users = createUserRepository(db);
    const roles = createRoleRepository(db);
    console.log('\nprofile database work (session + user + roles/permissions), 50 in flight:');
    await rate('server repositories: 3 queries, drizzle builds each per call', async () => {
      await sessions.findLiveSession(sessionId, new Date());
      await users.findUserById(userId);
      await roles.findRolesAndPermissions(userId);
    });

    const { sessions: s, users: u, userRoles, roles: r, rolePermissions, permissions } = schema;
    const liveSession = db
      .select({ sessionId: s.id, userId: s.userId, lastActiveAt: s.lastActiveAt, lockedAt: u.lockedAt })
      .from(s)
      .innerJoin(u, eq(u.id, s.userId))
      .where(and(eq(s.id, sql.placeholder('id')), isNull(s.revokedAt), gt(s.expiresAt, sql.placeholder('now'))))
      .prepare('micro_live_session');
    const userById = db
      .select()
      .from(u)
      .where(eq(u.id, sql.placeholder('id')))
      .prepare('micro_user_by_id');
    const access = db
      .select({ role: r.name, permission: permissions.name })
      .from(userRoles)
      .innerJoin(r, eq(r.id, userRoles.roleId))
      .leftJoin(rolePermissions, eq(rolePermissions.roleId, r.id))
      .leftJoin(permissions, eq(permissions.id, rolePermissions.permissionId))
      .where(eq(userRoles.userId, sql.placeholder('id')))
      .prepare('micro_access');
    await rate('same 3 queries as drizzle prepared statements', async () => {
      await liveSession.execute({ id: sessionId, now: new Date() });
      await userById.execute({ id: userId });
      await access.execute({ id: userId });
    });

    const pool = new pg.Pool({ connectionString: url.toString(), max: 10 });
    const combined = {
      name: 'micro_profile_one_trip',
      text: `select s.user_id, s.last_active_at, u.email, u.first_name, u.last_name, u.locked_at, u.locked_until,
                    (select coalesce(json_agg(distinct ro.name), '[]') from user_roles ur join roles ro on ro.id = ur.role_id
                      where ur.user_id = u.id) as roles,
                    (select coalesce(json_agg(distinct p.name), '[]') from user_roles ur
                      join role_permissions rp on rp.role_id = ur.role_id join permissions p on p.id = rp.permission_id
                      where ur.user_id = u.id) as permissions
               from sessions s join users u on u.id = s.user_id
              where s.id = $1 and s.revoked_at is null and s.expires_at > now()`,
    };
    await rate('one named SQL statement (pg), one round trip', async () => {
      await pool.query({ ...combined, values: [sessionId] });
    });
    await pool.end();
  } finally {
    await handle.close();
    await admin(`drop database if exists ${database} with (force)`);
  }
}

await tokens();
await profileQueries();
