// `npm run bench`: every scenario of the performance issue against the real
// server (`node dist/main.js`) on a fresh PostgreSQL database, then the
// embedded database. Prints a table and writes bench/results.json.
//
// The server runs pinned to core BENCH_SERVER_CPU (0), this load generator to
// core BENCH_LOAD_CPU (1). Every request loop has a fixed duration; every
// child process is stopped at the end, on errors and on Ctrl-C.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { hash } from '@node-rs/argon2';
import pg from 'pg';
import {
  api,
  argon2Parameters,
  benchPassword,
  cannon,
  checkRevocation,
  cpuMeter,
  createPopulation,
  describeMachine,
  describeSource,
  ensureBuilt,
  gatehouseEnv,
  leastDisturbed,
  loadAverage,
  log,
  loginOptions,
  measure,
  pacedReads,
  printLine,
  readRssMb,
  refreshOptions,
  root,
  runArgon2Raw,
  runPinned,
  sampleRss,
  settings,
  signupOptions,
  startCeiling,
  startGatehouse,
  stopChild,
  summarize,
  waitForQuiet,
} from './lib.mjs';
import {
  authorizeOptions,
  browserAtApp,
  clientCredentialsOptions,
  codeExchangeOptions,
  fillCodePool,
  introspectionOptions,
  issueToken,
  refreshGrantOptions,
  registerAppClient,
  registerMachineClient,
} from './oidc.mjs';
import { ensureWrk, wrkGet } from './wrk.mjs';

// The app's sign-in scenarios: browsers signed in at the app, and the seconds of authorization
// requests that make the codes for the exchange (a code lives 60 s).
const oidcBrowsers = 20;
// Alternating warn/info rounds of the request log's cost.
const logRounds = 3;
const codePoolSeconds = 25;

const ports = {
  gatehouse: settings.port + 1,
  ceiling: settings.port + 2,
  embedded: settings.port + 3,
  logging: settings.port + 4,
};

// ---------------------------------------------------------------------------
// PostgreSQL administration (the bench database only)

function databaseUrl(name) {
  const url = new URL(settings.adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

async function withClient(connectionString, work) {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

function assertBenchDatabaseName(name) {
  if (!/^[a-z_][a-z0-9_]*$/.test(name) || !name.includes('bench')) {
    throw new Error(`BENCH_DATABASE must be a plain lower-case name containing "bench", got "${name}"`);
  }
}

async function recreateDatabase(name) {
  assertBenchDatabaseName(name);
  await withClient(settings.adminUrl, async (client) => {
    await client.query(`drop database if exists ${name} with (force)`);
    await client.query(`create database ${name}`);
  });
}

async function dropDatabase(name) {
  assertBenchDatabaseName(name);
  await withClient(settings.adminUrl, (client) => client.query(`drop database if exists ${name} with (force)`));
}

async function describePostgres() {
  return withClient(settings.adminUrl, async (client) => {
    const setting = async (name) => (await client.query(`show ${name}`)).rows[0][name];
    return {
      version: (await client.query('select version() as v')).rows[0].v,
      sharedBuffers: await setting('shared_buffers'),
      maxConnections: await setting('max_connections'),
      synchronousCommit: await setting('synchronous_commit'),
      pinned: false,
    };
  });
}

/** The `scale` data: one SQL script, set-based, in one transaction (bench/seed-scale.sql). */
async function seedScale(url) {
  const passwordHash = await hash(benchPassword, argon2Parameters);
  const script = readFileSync(join(root, 'bench', 'seed-scale.sql'), 'utf8');
  return withClient(url, async (client) => {
    const startedAt = performance.now();
    await client.query(
      `select set_config('bench.users', $1, false), set_config('bench.sessions', $2, false),
              set_config('bench.password_hash', $3, false)`,
      [String(settings.scaleUsers), String(settings.scaleSessions), passwordHash],
    );
    await client.query(script);
    const seedSeconds = (performance.now() - startedAt) / 1000;
    const vacuumStartedAt = performance.now();
    await client.query('vacuum analyze users, user_roles, sessions, refresh_tokens');
    const vacuumSeconds = (performance.now() - vacuumStartedAt) / 1000;
    const count = async (table) => Number((await client.query(`select count(*) as n from ${table}`)).rows[0].n);
    return {
      users: await count('users'),
      sessions: await count('sessions'),
      refreshTokens: await count('refresh_tokens'),
      userRoles: await count('user_roles'),
      databaseSize: (await client.query('select pg_size_pretty(pg_database_size(current_database())) as s')).rows[0].s,
      seedSeconds: Math.round(seedSeconds * 10) / 10,
      vacuumAnalyzeSeconds: Math.round(vacuumSeconds * 10) / 10,
    };
  });
}

// ---------------------------------------------------------------------------
// Scenarios on a running Gatehouse

const settle = (ms = 1500) => sleep(ms);

async function profileScenario(name, server, population, { revocation = false } = {}) {
  const during = revocation
    ? () =>
        sleep((settings.duration * 1000) / 2)
          .then(() => checkRevocation(server.url, population.users[0].email))
          .then((check) => ({ revocation: check }))
    : undefined;
  const rotate = { header: 'authorization', values: population.accessTokens.map((token) => `Bearer ${token}`) };
  const summary = await measure(name, () => wrkGet(server.url, '/auth/profile', { rotate }), {
    pid: server.pid,
    during,
  });
  summary.tokens = population.accessTokens.length;
  if (summary.revocation) {
    log(
      `  revocation check mid-run: profile ${summary.revocation.statusBefore}, logout ${summary.revocation.logoutStatus}, next request ${summary.revocation.statusOnNextRequest}`,
    );
  }
  await settle();
  return summary;
}

/**
 * A run drops at most one chain per connection (the requests in flight when it
 * stops), so before warm-up + measurement there must be 2 x connections + 1;
 * more sessions come from ordinary logins.
 */
async function ensureChains(server, population) {
  const needed = 2 * settings.connections + 1;
  let next = 0;
  while (population.refreshChains.length < needed) {
    const batch = Math.min(8, needed - population.refreshChains.length);
    const answers = await Promise.all(
      Array.from({ length: batch }, () => {
        const { email } = population.users[next++ % population.users.length];
        return api(server.url, 'POST', '/auth/login', { body: { email, password: benchPassword } });
      }),
    );
    for (const answer of answers) {
      if (answer.status !== 200) throw new Error(`login for a refresh chain: ${answer.status}`);
      population.refreshChains.push(answer.body.refreshToken);
    }
  }
}

async function refreshScenario(name, server, population) {
  const summary = await measure(
    name,
    () => {
      const stats = { rotated: 0, refused: 0, lastRefusal: null };
      return {
        ...refreshOptions(server.url, population.refreshChains, stats),
        collect: () => ({ refused: stats.refused, lastRefusal: stats.lastRefusal }),
      };
    },
    { pid: server.pid, before: () => ensureChains(server, population) },
  );
  summary.chainsLeft = population.refreshChains.length;
  await settle();
  return summary;
}

async function loginScenario(name, server, emails) {
  const summary = await measure(name, () => loginOptions(server.url, emails), { pid: server.pid });
  await settle(2500);
  return summary;
}

async function signupScenario(name, server, runId) {
  const summary = await measure(
    name,
    () => {
      const stats = { completed: 0, failed: 0 };
      return {
        ...signupOptions(server.url, `${runId}-${Math.random().toString(36).slice(2, 8)}`, stats),
        collect: () => ({ completedSignups: stats.completed, failedVerifications: stats.failed }),
      };
    },
    { pid: server.pid },
  );
  summary.signupsPerSecond = Math.round((summary.completedSignups / summary.seconds) * 10) / 10;
  log(`  ${summary.signupsPerSecond} completed sign-ups/s (register + verify, two requests each)`);
  await settle(2500);
  return summary;
}

/** Profile reads at a steady rate, alone and then while logins saturate the server core. */
async function mixedScenario(server, population) {
  const durationMs = settings.duration * 1000;
  const reads = (ms) =>
    pacedReads(server.url, population.accessTokens, { rate: settings.mixedReadRate, durationMs: ms });
  const emails = population.users.map((user) => user.email);

  const readsAlone = await leastDisturbed(async () => {
    if (settings.warmup > 0) await reads(settings.warmup * 1000);
    const cpu = cpuMeter(server.pid);
    const summary = await reads(durationMs);
    summary.cpu = cpu.stop();
    printLine('mixed: reads alone', summary);
    return summary;
  });
  await settle(500);

  const loginLoad = (duration) => cannon({ ...loginOptions(server.url, emails, { tag: 'mixed' }), duration });
  const together = await leastDisturbed(async () => {
    if (settings.warmup > 0) await Promise.all([loginLoad(settings.warmup), reads(settings.warmup * 1000)]);
    const rss = sampleRss(server.pid);
    const cpu = cpuMeter(server.pid);
    const [underLogins, logins] = await Promise.all([reads(durationMs), loginLoad(settings.duration)]);
    const usage = cpu.stop();
    underLogins.cpu = usage;
    const loginSummary = summarize(logins, { connections: settings.loginConnections, cpu: usage });
    printLine('mixed: reads + logins', underLogins);
    printLine('mixed: the logins', loginSummary);
    await settle(2500);
    return { cpu: usage, reads: underLogins, logins: loginSummary, rssMaxMb: rss.stop() };
  });
  await settle(500);

  // Diagnostics: the same reads while a separate process (raw argon2 on the
  // same core) keeps it busy. The server's thread pool is then free, so what
  // is left is CPU sharing, with the hashing at normal priority (4 threads, as
  // the server's pool), at nice 19, or on a single thread.
  const externalHashing = {};
  for (const [key, label, options] of [
    ['fourThreads', 'reads + ext. hash x4', { threads: 4 }],
    ['fourThreadsNice19', 'reads + ext. hash nice19', { threads: 4, nice: 19 }],
    ['oneThread', 'reads + ext. hash x1', { threads: 1 }],
  ]) {
    externalHashing[key] = await leastDisturbed(async () => {
      const hashing = runArgon2Raw({ duration: settings.warmup + settings.duration + 1, warmup: 0, ...options });
      await reads(settings.warmup * 1000);
      const cpu = cpuMeter(server.pid);
      const summary = await reads(durationMs);
      summary.cpu = cpu.stop();
      const raw = await hashing;
      // The hashing process is part of the experiment, not a disturbance.
      summary.cpu.otherPct = Math.max(0, summary.cpu.otherPct - raw.cpuPct);
      summary.hashing = { ...options, verifiesPerSecond: raw.verifiesPerSecond };
      printLine(`mixed: ${label}`, summary);
      log(`  hashing meanwhile: ${raw.verifiesPerSecond} verify/s`);
      return summary;
    });
    await settle(500);
  }

  return {
    readRate: settings.mixedReadRate,
    readsWithExternalHashing: externalHashing,
    readsAlone,
    reads: together.reads,
    logins: together.logins,
    rssMaxMb: together.rssMaxMb,
    attempts: together.attempts,
  };
}

const idleRss = async (pid) => {
  await sleep(2000);
  return readRssMb(pid);
};

// ---------------------------------------------------------------------------
// Phases

/** A signed-in browser's cookies, through the hosted sign-in form as a person would. */
async function browserSession(base, email) {
  const page = await fetch(`${base}/login`);
  const device = page.headers
    .getSetCookie()
    .map((line) => line.split(';')[0])
    .join('; ');
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await page.text())?.[1] ?? '';
  const signedIn = await fetch(`${base}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: device, origin: base },
    body: new URLSearchParams({ _csrf: csrf, email, password: benchPassword }).toString(),
  });
  const session = signedIn.headers.getSetCookie().map((line) => line.split(';')[0]);
  if (signedIn.status !== 303 || session.length === 0) throw new Error(`browser sign-in: ${signedIn.status}`);
  return [device, ...session].join('; ');
}

/**
 * The request log's cost: the same authenticated read on a second server at
 * the default LOG_LEVEL=info (one line per request, to a pipe that is read
 * and dropped) and on the warn-level one, in alternating rounds so that both
 * see the same machine: one pair of runs moves by more than the cost itself
 * (two processes of one build differ by up to 10%). The cost is the mean of
 * the rounds' differences in time per request; `profileInfo` is the median
 * info-level round.
 */
async function requestLogPhase(results, url, server, population) {
  const atInfo = await startGatehouse({ port: ports.logging, databaseUrl: url, logLevel: 'info' });
  try {
    const rounds = [];
    for (let round = 1; round <= logRounds; round++) {
      const warn = await profileScenario(`profile (warn), round ${round}`, server, population);
      const info = await profileScenario(`profile (LOG_LEVEL=info), round ${round}`, atInfo, population);
      rounds.push({ warn, info });
    }
    const costs = rounds.map(({ warn, info }) => 1e6 / info.requestsPerSecond - 1e6 / warn.requestsPerSecond);
    results.requestLog = {
      rounds: rounds.map(({ warn, info }) => ({ warn: warn.requestsPerSecond, info: info.requestsPerSecond })),
      microsecondsPerRequest: Math.round((costs.reduce((sum, cost) => sum + cost, 0) / costs.length) * 100) / 100,
    };
    const byRate = rounds.map(({ info }) => info).sort((a, b) => a.requestsPerSecond - b.requestsPerSecond);
    results.scenarios.profileInfo = byRate[Math.floor(byRate.length / 2)];
    log(
      `request log: ${results.requestLog.microsecondsPerRequest} us per request (${JSON.stringify(results.requestLog.rounds)})`,
    );
  } finally {
    await stopChild(atInfo.child);
  }
}

async function ceilingPhase(results) {
  log('ceiling: bare Fastify route');
  const ceiling = await startCeiling(ports.ceiling);
  try {
    results.memory.ceilingIdleMb = await idleRss(ceiling.pid);
    results.scenarios.ceiling = await measure('ceiling', () => wrkGet(ceiling.url, '/'), { pid: ceiling.pid });
  } finally {
    await stopChild(ceiling.child);
  }
}

async function argon2Phase(results) {
  log(`argon2: raw @node-rs/argon2 verify, m=19456 t=2 p=1, ${settings.argon2Concurrency} in flight`);
  let best = null;
  for (let attempt = 0; attempt <= settings.retries; attempt++) {
    const waitedSeconds = await waitForQuiet();
    const meter = cpuMeter(null);
    const raw = await runArgon2Raw();
    const usage = meter.stop();
    const ownPct = Math.round((raw.cpuSeconds / usage.seconds) * 100);
    const allBusy = Object.values(usage.coreBusyPct).reduce((sum, value) => sum + (value ?? 0), 0);
    raw.cpu = {
      serverPct: raw.cpuPct,
      postgresPct: usage.postgresPct,
      loadGeneratorPct: usage.loadGeneratorPct,
      coreBusyPct: usage.coreBusyPct,
      otherPct: Math.max(0, allBusy - ownPct - usage.postgresPct - usage.loadGeneratorPct),
    };
    raw.waitedSeconds = waitedSeconds;
    raw.attempts = attempt + 1;
    log(
      `argon2 (raw verify)     ${String(raw.verifiesPerSecond).padStart(7)} verify/s  p50 ${raw.p50Ms} ms  p99 ${raw.p99Ms} ms | cpu ${raw.cpuPct}% other ${raw.cpu.otherPct}%`,
    );
    if (!best || raw.cpu.otherPct < best.cpu.otherPct) best = raw;
    if (raw.cpu.otherPct <= settings.foreignLimit) break;
    if (attempt < settings.retries)
      log(`  other processes used ${raw.cpu.otherPct}% of a core meanwhile: measuring again`);
  }
  results.scenarios.argon2 = best;
}

/** The OpenID provider: discovery, a machine client's token, a resource server's introspection. */
async function oidcScenarios(results, server, url, population) {
  const client = registerMachineClient(gatehouseEnv({ databaseUrl: url }));
  const { connections } = settings;
  results.scenarios.oidcDiscovery = await measure(
    'GET /oidc discovery',
    () => wrkGet(server.url, '/oidc/.well-known/openid-configuration'),
    { pid: server.pid },
  );
  await settle();
  results.scenarios.oidcToken = await measure(
    'oidc token (client credentials)',
    () => clientCredentialsOptions(server.url, client, connections),
    { pid: server.pid },
  );
  await settle();
  const token = await issueToken(server.url, client);
  results.scenarios.oidcIntrospection = await measure(
    'oidc introspection',
    () => introspectionOptions(server.url, client, token, connections),
    { pid: server.pid },
  );
  await settle();
  await appSignInScenarios(results, server, url, population);
}

/**
 * An app's sign-ins through the provider: browsers already signed in (SSO) asking for a code, the app
 * exchanging codes, then rotating the refresh tokens it got.
 */
async function appSignInScenarios(results, server, url, population) {
  const app = registerAppClient(gatehouseEnv({ databaseUrl: url }));
  const browsers = [];
  for (const user of population.users.slice(0, oidcBrowsers)) {
    browsers.push(await browserAtApp(server.url, await browserSession(server.url, user.email), app));
  }
  results.scenarios.oidcAuthorize = await measure(
    'oidc authorize (SSO)',
    () => {
      const stats = { codes: 0, other: 0 };
      return {
        ...authorizeOptions(server.url, app, browsers, stats),
        // The answer is a 303 to the app: a redirect with a code is the success.
        collect: () => ({ requestsPerSecond: Math.round(stats.codes / settings.duration), non2xx: stats.other }),
      };
    },
    { pid: server.pid },
  );
  await settle();
  const pool = [];
  const chains = [];
  results.scenarios.oidcCodeExchange = await measure(
    'oidc code exchange',
    () => codeExchangeOptions(server.url, app, pool, chains),
    { pid: server.pid, before: () => fillCodePool(server.url, app, browsers, pool, codePoolSeconds) },
  );
  await settle();
  // The same exchange for an app whose ID tokens are signed with Ed25519: what the RSA signature costs.
  const edApp = registerAppClient(gatehouseEnv({ databaseUrl: url }), 'EdDSA');
  // Each browser consents once to the new app (first-party: through the interaction, without a page).
  const edBrowsers = [];
  for (const browser of browsers) edBrowsers.push(await browserAtApp(server.url, browser, edApp));
  results.scenarios.oidcCodeExchangeEdDSA = await measure(
    'oidc code exchange (EdDSA)',
    () => codeExchangeOptions(server.url, edApp, pool, []),
    { pid: server.pid, before: () => fillCodePool(server.url, edApp, edBrowsers, pool, codePoolSeconds) },
  );
  await settle();
  results.scenarios.oidcRefresh = await measure(
    'oidc refresh grant',
    () => {
      const stats = { refused: 0 };
      return { ...refreshGrantOptions(server.url, app, chains, stats), collect: () => ({ refused: stats.refused }) };
    },
    { pid: server.pid },
  );
  await settle();
}

async function postgresPhase(results, runId) {
  const name = settings.database;
  const url = databaseUrl(name);
  log(`PostgreSQL: fresh database ${name}`);
  await recreateDatabase(name);
  let server = await startGatehouse({ port: ports.gatehouse, databaseUrl: url });
  try {
    results.coldStart.postgresFreshMs = server.coldStartMs;
    log(`cold start (spawn to first 200 from /ready, migrations on an empty database): ${server.coldStartMs} ms`);
    results.memory.idleAtReadyMb = await idleRss(server.pid);
    log(`idle RSS at ready: ${results.memory.idleAtReadyMb} MB`);

    const setupStartedAt = performance.now();
    const population = await createPopulation(server.url, settings.users, runId);
    log(
      `created ${settings.users} users through the API (register, verify, login: ${population.accessTokens.length} sessions) in ${Math.round(performance.now() - setupStartedAt)} ms`,
    );
    results.memory.idleAfterSignInsMb = await idleRss(server.pid);
    log(`idle RSS after the sign-ins: ${results.memory.idleAfterSignInsMb} MB`);

    const emails = population.users.map((user) => user.email);
    // Diagnostic: a Gatehouse route with every hook but no database work, the app's own ceiling.
    results.scenarios.health = await measure('health (no database)', () => wrkGet(server.url, '/health'), {
      pid: server.pid,
    });
    await settle();
    results.scenarios.profile = await profileScenario('profile', server, population, { revocation: true });
    await requestLogPhase(results, url, server, population);
    results.scenarios.loginPage = await measure('GET /login (page)', () => wrkGet(server.url, '/login'), {
      pid: server.pid,
    });
    await settle();
    const cookie = await browserSession(server.url, population.users[0].email);
    results.scenarios.accountPage = await measure(
      'GET /account (page)',
      () => wrkGet(server.url, '/account', { rotate: { header: 'cookie', values: [cookie] } }),
      { pid: server.pid },
    );
    await settle();
    results.scenarios.refresh = await refreshScenario('refresh', server, population);
    results.scenarios.login = await loginScenario('login', server, emails);
    results.scenarios.mixed = await mixedScenario(server, population);
    results.scenarios.registerVerify = await signupScenario('register+verify', server, runId);
    await oidcScenarios(results, server, url, population);
    results.memory.underLoadMaxMb = Math.max(
      ...['profile', 'refresh', 'login', 'registerVerify'].map((key) => results.scenarios[key].rssMaxMb ?? 0),
      results.scenarios.mixed.rssMaxMb ?? 0,
    );
    results.memory.idleAfterLoadMb = await idleRss(server.pid);
    log(
      `RSS: max under load ${results.memory.underLoadMaxMb} MB, idle afterwards ${results.memory.idleAfterLoadMb} MB`,
    );

    if (settings.skip.has('scale')) return;
    // The scale comparison is made within one server process: the same three
    // scenarios right before seeding, then right after (the server stays up,
    // idle, while the seed runs), so only the data differs.
    results.scenarios.baseProfile = await profileScenario('before seed: profile', server, population);
    results.scenarios.baseRefresh = await refreshScenario('before seed: refresh', server, population);
    results.scenarios.baseLogin = await loginScenario('before seed: login', server, emails);
    log(`scale: seeding ${settings.scaleUsers} users and ${settings.scaleSessions} sessions (bench/seed-scale.sql)`);
    results.scale = { seed: await seedScale(url) };
    log(`seeded: ${JSON.stringify(results.scale.seed)}`);
    results.scenarios.scaleProfile = await profileScenario('scale: profile', server, population);
    results.scenarios.scaleRefresh = await refreshScenario('scale: refresh', server, population);
    // Random seeded accounts: the email lookup goes through the 1M-row index.
    const seededEmails = Array.from(
      { length: 5000 },
      () => `seed-${1 + Math.floor(Math.random() * settings.scaleUsers)}@seed.bench`,
    );
    results.scenarios.scaleLogin = await loginScenario('scale: login', server, seededEmails);
    await stopChild(server.child);
    server = await startGatehouse({ port: ports.gatehouse, databaseUrl: url });
    results.coldStart.postgresScaleMs = server.coldStartMs;
    log(`cold start with the seeded database: ${server.coldStartMs} ms`);
    results.memory.idleAtReadyScaleMb = await idleRss(server.pid);
  } finally {
    await stopChild(server.child);
    if (!settings.keepDatabase) await dropDatabase(name).catch((error) => log(`drop failed: ${error.message}`));
  }
}

async function embeddedPhase(results, runId) {
  const dataDir = mkdtempSync(join(os.tmpdir(), 'gatehouse-bench-'));
  log(`embedded database (PGlite) in ${dataDir}`);
  let server = null;
  try {
    server = await startGatehouse({ port: ports.embedded, dataDir });
    results.coldStart.embeddedFreshMs = server.coldStartMs;
    log(`cold start (embedded, fresh data dir): ${server.coldStartMs} ms`);
    results.memory.embeddedIdleAtReadyMb = await idleRss(server.pid);
    await sleep(30_000);
    results.memory.embeddedIdleAfter30sMb = readRssMb(server.pid);
    log(
      `embedded RSS: ${results.memory.embeddedIdleAtReadyMb} MB at ready, ${results.memory.embeddedIdleAfter30sMb} MB 30 s later`,
    );
    const population = await createPopulation(server.url, settings.users, `${runId}e`);
    const emails = population.users.map((user) => user.email);
    results.scenarios.embeddedProfile = await profileScenario('embedded: profile', server, population);
    results.scenarios.embeddedRefresh = await refreshScenario('embedded: refresh', server, population);
    results.scenarios.embeddedLogin = await loginScenario('embedded: login', server, emails);
    results.memory.embeddedUnderLoadMaxMb = Math.max(
      ...['embeddedProfile', 'embeddedRefresh', 'embeddedLogin'].map((key) => results.scenarios[key].rssMaxMb ?? 0),
    );
    results.memory.embeddedIdleAfterLoadMb = await idleRss(server.pid);
    await stopChild(server.child);
    // A second start on the same data directory: what a restarted deployment sits at.
    server = await startGatehouse({ port: ports.embedded, dataDir });
    results.coldStart.embeddedRestartMs = server.coldStartMs;
    results.memory.embeddedRestartAtReadyMb = await idleRss(server.pid);
    await sleep(30_000);
    results.memory.embeddedRestartAfter30sMb = readRssMb(server.pid);
  } finally {
    if (server) await stopChild(server.child);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------
// Targets and the table

const round2 = (value) => (value === null || value === undefined ? null : Math.round(value * 100) / 100);

function evaluateTargets(results) {
  const s = results.scenarios;
  const targets = [];
  const add = (target, measured, ratio, met, note = '') =>
    targets.push({ target, measured, ratio: round2(ratio), met, note });
  if (s.profile && s.ceiling) {
    const ratio = s.profile.requestsPerSecond / s.ceiling.requestsPerSecond;
    add(
      'profile >= 0.5 x ceiling',
      `${s.profile.requestsPerSecond} vs ${s.ceiling.requestsPerSecond} req/s`,
      ratio,
      ratio >= 0.5,
    );
  }
  if (results.requestLog) {
    const microseconds = results.requestLog.microsecondsPerRequest;
    const pairs = results.requestLog.rounds.map(({ info, warn }) => `${info}/${warn}`).join(', ');
    add(
      'request log <= 3 us per request (info vs warn)',
      `${microseconds} us (mean of ${results.requestLog.rounds.length} rounds, info/warn req/s: ${pairs})`,
      microseconds / 3,
      microseconds <= 3,
    );
  }
  if (s.profileInfo && s.ceiling) {
    const ratio = s.profileInfo.requestsPerSecond / s.ceiling.requestsPerSecond;
    add(
      'profile at LOG_LEVEL=info >= 0.4 x ceiling',
      `${s.profileInfo.requestsPerSecond} vs ${s.ceiling.requestsPerSecond} req/s`,
      ratio,
      ratio >= 0.4,
    );
  }
  if (s.profile?.revocation) {
    add(
      'revoked session refused on its next request',
      `next request ${s.profile.revocation.statusOnNextRequest}`,
      null,
      s.profile.revocation.refusedOnNextRequest,
    );
  }
  if (s.refresh) {
    add(
      'refresh >= 3,000/s on one core',
      `${s.refresh.requestsPerSecond} req/s`,
      s.refresh.requestsPerSecond / 3000,
      s.refresh.requestsPerSecond >= 3000,
    );
  }
  if (s.login && s.argon2) {
    const ratio = s.login.requestsPerSecond / s.argon2.verifiesPerSecond;
    add(
      'login >= 0.9 x raw argon2id verify',
      `${s.login.requestsPerSecond} vs ${s.argon2.verifiesPerSecond} /s`,
      ratio,
      ratio >= 0.9,
    );
  }
  if (s.mixed) {
    add(
      'mixed: reads p99 < 25 ms',
      `${s.mixed.reads.p99Ms} ms (alone ${s.mixed.readsAlone.p99Ms} ms)`,
      s.mixed.reads.p99Ms / 25,
      s.mixed.reads.p99Ms < 25,
    );
  }
  // Ory Hydra publishes 5,109 introspections/s on two CPUs; this is one core.
  for (const [key, name, goal] of [
    ['oidcIntrospection', 'oidc introspection', 5000],
    ['oidcCodeExchange', 'oidc code exchange', 1000],
  ]) {
    if (!s[key]) continue;
    const rate = s[key].requestsPerSecond;
    add(`${name} >= ${goal.toLocaleString('en')}/s on one core`, `${rate} req/s`, rate / goal, rate >= goal);
  }
  const memory = results.memory;
  if (memory.embeddedRestartAfter30sMb) {
    add(
      'embedded steady RSS <= 250 MB',
      `${memory.embeddedRestartAfter30sMb} MB (first start: ${memory.embeddedIdleAfter30sMb} MB)`,
      memory.embeddedRestartAfter30sMb / 250,
      memory.embeddedRestartAfter30sMb <= 250,
    );
  }
  if (memory.idleAtReadyMb) {
    add(
      'idle RSS <= 120 MB (at ready)',
      `${memory.idleAtReadyMb} MB`,
      memory.idleAtReadyMb / 120,
      memory.idleAtReadyMb <= 120,
    );
  }
  if (memory.idleAfterSignInsMb) {
    add(
      'idle RSS <= 120 MB (after sign-ins)',
      `${memory.idleAfterSignInsMb} MB`,
      memory.idleAfterSignInsMb / 120,
      memory.idleAfterSignInsMb <= 120,
    );
  }
  for (const [key, base, name] of [
    ['scaleProfile', 'baseProfile', 'profile'],
    ['scaleRefresh', 'baseRefresh', 'refresh'],
    ['scaleLogin', 'baseLogin', 'login'],
  ]) {
    if (!s[key] || !s[base]) continue;
    const ratio = s[key].requestsPerSecond / s[base].requestsPerSecond;
    add(
      `scale ${name} within 10% of small`,
      `${s[key].requestsPerSecond} vs ${s[base].requestsPerSecond} req/s`,
      ratio,
      ratio >= 0.9,
      'same process, right before and after seeding',
    );
  }
  return targets;
}

function printTable(results) {
  const rows = [['scenario', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx', 'errors', 'server cpu', 'pg cpu', 'max RSS MB']];
  const s = results.scenarios;
  const row = (name, r) =>
    r &&
    rows.push([
      name,
      r.requestsPerSecond ?? r.verifiesPerSecond,
      r.p50Ms,
      r.p99Ms,
      r.non2xx ?? '-',
      r.errors ?? '-',
      r.cpu?.serverPct !== undefined && r.cpu?.serverPct !== null ? `${r.cpu.serverPct}%` : '-',
      r.cpu?.postgresPct !== undefined ? `${r.cpu.postgresPct}%` : '-',
      r.rssMaxMb ?? '-',
    ]);
  row('ceiling (bare Fastify)', s.ceiling);
  row('health (Gatehouse, no DB)', s.health);
  row('profile', s.profile);
  row('profile (LOG_LEVEL=info)', s.profileInfo);
  row('GET /login (page)', s.loginPage);
  row('GET /account (page)', s.accountPage);
  row('refresh', s.refresh);
  row('login', s.login);
  row('argon2 (raw verify/s)', s.argon2);
  row('register+verify (req)', s.registerVerify);
  row('GET /oidc discovery', s.oidcDiscovery);
  row('oidc token (client credentials)', s.oidcToken);
  row('oidc introspection', s.oidcIntrospection);
  row('oidc authorize (SSO, codes/s)', s.oidcAuthorize);
  row('oidc code exchange', s.oidcCodeExchange);
  row('oidc code exchange (EdDSA)', s.oidcCodeExchangeEdDSA);
  row('oidc refresh grant', s.oidcRefresh);
  row('mixed: reads alone', s.mixed?.readsAlone);
  row('mixed: reads + logins', s.mixed?.reads);
  row('mixed: the logins', s.mixed?.logins);
  row('mixed: reads + ext. hash x4', s.mixed?.readsWithExternalHashing?.fourThreads);
  row('mixed: reads + ext. hash nice19', s.mixed?.readsWithExternalHashing?.fourThreadsNice19);
  row('mixed: reads + ext. hash x1', s.mixed?.readsWithExternalHashing?.oneThread);
  row('before seed: profile', s.baseProfile);
  row('before seed: refresh', s.baseRefresh);
  row('before seed: login', s.baseLogin);
  row('scale: profile', s.scaleProfile);
  row('scale: refresh', s.scaleRefresh);
  row('scale: login', s.scaleLogin);
  row('embedded: profile', s.embeddedProfile);
  row('embedded: refresh', s.embeddedRefresh);
  row('embedded: login', s.embeddedLogin);
  const widths = rows[0].map((_, column) => Math.max(...rows.map((r) => String(r[column]).length)));
  console.log('');
  for (const [index, r] of rows.entries()) {
    console.log(r.map((cell, column) => String(cell).padEnd(widths[column])).join('  '));
    if (index === 0) console.log(widths.map((width) => '-'.repeat(width)).join('  '));
  }
  if (s.registerVerify) console.log(`\nregister+verify: ${s.registerVerify.signupsPerSecond} completed sign-ups/s`);
  console.log(`cold start: ${JSON.stringify(results.coldStart)}`);
  console.log(`memory (MB): ${JSON.stringify(results.memory)}`);
  console.log('\ntargets:');
  for (const t of results.targets) {
    console.log(
      `  ${t.met ? 'met   ' : 'MISSED'}  ${t.target.padEnd(45)} ${t.measured}${t.ratio !== null ? `  (ratio ${t.ratio})` : ''}`,
    );
  }
}

// ---------------------------------------------------------------------------

async function main() {
  const startedAt = performance.now();
  const runId = Date.now().toString(36);
  ensureBuilt();
  const results = {
    generatedAt: new Date().toISOString(),
    command: 'npm run bench',
    settings: { ...settings, skip: [...settings.skip].join(',') },
    source: describeSource(),
    machine: describeMachine(),
    postgres: await describePostgres().catch((error) => ({ error: error.message })),
    coldStart: {},
    memory: {},
    scenarios: {},
  };
  ensureWrk();
  log(
    `${results.machine.nproc} cores (${results.machine.cpuModel}), Node ${process.version}, load average ${results.machine.loadAverageAtStart}; ${settings.warmup}s warm-up + ${settings.duration}s per scenario`,
  );
  if (!settings.skip.has('ceiling')) await ceilingPhase(results);
  if (!settings.skip.has('argon2')) await argon2Phase(results);
  if (!settings.skip.has('postgres')) await postgresPhase(results, runId);
  if (!settings.skip.has('embedded')) await embeddedPhase(results, runId);
  results.targets = evaluateTargets(results);
  results.loadAverageAtEnd = loadAverage();
  results.totalSeconds = Math.round((performance.now() - startedAt) / 1000);
  printTable(results);
  const file = join(root, 'bench', 'results.json');
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  log(`wrote ${file} (${results.totalSeconds} s in all)`);
}

await runPinned(import.meta.url, main);
