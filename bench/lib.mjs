// Shared pieces of the benchmark: settings, pinned child processes, the
// Gatehouse server under test, CPU and memory sampling, autocannon runs and
// the request generators of each scenario.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

export const root = fileURLToPath(new URL('..', import.meta.url));

const number = (name, fallback) => {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a non-negative number, got "${raw}"`);
  return value;
};

/** Every knob is an environment variable, so a quick run is `BENCH_DURATION=2 BENCH_WARMUP=1 npm run bench`. */
export const settings = Object.freeze({
  /** Seconds measured per scenario. */
  duration: number('BENCH_DURATION', 10),
  /** Seconds of discarded load before each measurement. */
  warmup: number('BENCH_WARMUP', 3),
  /** Connections of the throughput scenarios (ceiling, profile, refresh). */
  connections: number('BENCH_CONNECTIONS', 50),
  /** Connections of the login scenarios: enough logins in flight to keep every argon2 thread busy. */
  loginConnections: number('BENCH_LOGIN_CONNECTIONS', 16),
  /** Concurrent raw argon2 verifications (same saturation as the login scenario). */
  argon2Concurrency: number('BENCH_ARGON2_CONCURRENCY', 16),
  /** Connections of the sign-up flow (register + verify). */
  signupConnections: number('BENCH_SIGNUP_CONNECTIONS', 16),
  /** Users created through the API before the scenarios (each with two sessions). */
  users: number('BENCH_USERS', 200),
  /** Profile reads per second during `mixed` (a steady rate, so the p99 shows interference, not self-queueing). */
  mixedReadRate: number('BENCH_MIXED_READ_RATE', 200),
  mixedReadConnections: number('BENCH_MIXED_READ_CONNECTIONS', 10),
  scaleUsers: number('BENCH_SCALE_USERS', 1_000_000),
  scaleSessions: number('BENCH_SCALE_SESSIONS', 2_000_000),
  adminUrl: process.env.BENCH_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  database: process.env.BENCH_DATABASE ?? 'gatehouse_bench',
  port: number('BENCH_PORT', 3900),
  serverCpu: process.env.BENCH_SERVER_CPU ?? '0',
  loadCpu: process.env.BENCH_LOAD_CPU ?? '1',
  /** Extra node flags for the server under test, e.g. "--max-semi-space-size=2" (default: none). */
  serverNodeArgs: (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean),
  /** Comma-separated scenario groups to leave out: ceiling, argon2, postgres, scale, embedded. */
  skip: new Set(
    (process.env.BENCH_SKIP ?? '')
      .split(',')
      .map((entry) => entry.trim())
      .filter(Boolean),
  ),
  keepDatabase: process.env.BENCH_KEEP_DB === '1',
  /** The machine may be shared: wait up to this many seconds for it to go quiet before each measurement. */
  quietWait: number('BENCH_QUIET_WAIT', 60),
  /** Re-measure (at most this many times) when other processes used more than `foreignLimit`% of a core meanwhile. */
  retries: number('BENCH_RETRIES', 2),
  foreignLimit: number('BENCH_FOREIGN_LIMIT', 20),
});

export const argon2Parameters = Object.freeze({ algorithm: 2, memoryCost: 19_456, timeCost: 2, parallelism: 1 });
export const benchPassword = 'bench: correct horse battery staple 42';
const appSecret = 'bench-app-secret-0123456789-abcdefghijkl';

export const log = (message) => console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}`);

// ---------------------------------------------------------------------------
// Pinning and child processes

let pinningAvailable;
/** `taskset` and at least two cores: the server gets one core, the load generator another. */
export function canPin() {
  if (pinningAvailable === undefined) {
    const taskset = spawnSync('taskset', ['-c', '0', 'true'], { stdio: 'ignore' });
    // os.cpus() counts the machine's cores, whatever this process's own affinity (the runner is pinned itself).
    pinningAvailable = taskset.status === 0 && os.cpus().length >= 2;
  }
  return pinningAvailable;
}

/** The command line that runs `command args` on `cpu` (unchanged when pinning is unavailable). */
export function pinned(cpu, command, args) {
  return canPin() ? ['taskset', ['-c', String(cpu), command, ...args]] : [command, args];
}

const children = new Set();

/** Spawns a child that is killed when the benchmark ends, however it ends. */
export function spawnTracked(name, command, args, { env, cwd = root, stdout = 'ignore' } = {}) {
  const child = spawn(command, args, { cwd, env, stdio: ['ignore', stdout, 'pipe'] });
  child.benchName = name;
  child.stderrTail = '';
  child.stderr.on('data', (chunk) => {
    child.stderrTail = (child.stderrTail + chunk.toString()).slice(-4000);
  });
  child.spawnError = null;
  child.on('error', (error) => {
    child.spawnError = error;
  });
  child.exited = new Promise((resolve) => {
    child.on('close', (code, signal) => {
      children.delete(child);
      resolve({ code, signal });
    });
  });
  children.add(child);
  return child;
}

const hasExited = (child) => child.exitCode !== null || child.signalCode !== null || child.spawnError !== null;

/** SIGTERM (a graceful shutdown, which also writes --cpu-prof output), SIGKILL if it lingers. */
export async function stopChild(child, timeoutMs = 15_000) {
  if (!child || hasExited(child)) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  await child.exited;
  clearTimeout(timer);
}

export function killAllChildren() {
  for (const child of children) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
}

// Whatever happens (error, Ctrl-C, normal end), no child outlives the benchmark.
process.on('exit', killAllChildren);

/**
 * Runs `main` on the load-generator core: re-executes this script under
 * `taskset -c <loadCpu>` first (children are pinned to the server core
 * explicitly). Children are killed on errors and on SIGINT/SIGTERM.
 */
export async function runPinned(entryUrl, main) {
  if (process.env.BENCH_LOADGEN_PINNED !== '1' && canPin()) {
    const child = spawn(
      'taskset',
      ['-c', String(settings.loadCpu), process.execPath, fileURLToPath(entryUrl), ...process.argv.slice(2)],
      { stdio: 'inherit', env: { ...process.env, BENCH_LOADGEN_PINNED: '1' } },
    );
    const forward = (signal) => child.kill(signal);
    process.on('SIGINT', forward);
    process.on('SIGTERM', forward);
    const code = await new Promise((resolve) =>
      child.on('close', (exitCode, signal) => resolve(exitCode ?? (signal ? 1 : 0))),
    );
    process.exit(code);
  }
  const interrupted = (signal) => {
    log(`${signal}: stopping the processes under test`);
    killAllChildren();
    process.exit(130);
  };
  process.on('SIGINT', interrupted);
  process.on('SIGTERM', interrupted);
  try {
    await main();
  } catch (error) {
    console.error(error);
    killAllChildren();
    process.exit(1);
  }
  killAllChildren();
  process.exit(0);
}

// ---------------------------------------------------------------------------
// Build, machine, versions

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** The same rule as `npm start`: build when dist/ is missing or older than src/. */
export function ensureBuilt() {
  const built = join(root, 'dist', 'main.js');
  if (existsSync(built) && statSync(built).mtimeMs >= newestMtime(join(root, 'src'))) return false;
  log('building dist/ (node scripts/build.mjs)');
  const result = spawnSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) throw new Error('build failed');
  return true;
}

export function packageVersion(name) {
  try {
    return JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')).version;
  } catch {
    return null;
  }
}

/** 1, 5 and 15 minute load averages as one string (other tenants of a shared machine show up here). */
export const loadAverage = () =>
  os
    .loadavg()
    .map((value) => value.toFixed(2))
    .join(' ');

/** The code measured: commit, and whether src/ had uncommitted changes. */
export function describeSource() {
  const git = (...args) => spawnSync('git', args, { cwd: root, encoding: 'utf8' }).stdout?.trim() ?? '';
  return {
    commit: git('rev-parse', '--short', 'HEAD') || null,
    subject: git('log', '-1', '--format=%s') || null,
    srcDirty: git('status', '--porcelain', '--', 'src') !== '',
  };
}

export function describeMachine() {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? os.cpus()[0]?.model ?? 'unknown';
  const mhz = /^cpu MHz\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? null;
  return {
    nproc: os.cpus().length,
    cpuModel: model,
    cpuMhz: mhz ? Number(mhz) : null,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    kernel: os.release(),
    loadAverageAtStart: loadAverage(),
    node: process.version,
    pinning: canPin()
      ? { server: `taskset -c ${settings.serverCpu}`, loadGenerator: `taskset -c ${settings.loadCpu}` }
      : 'unavailable (fewer than 2 cores or no taskset): nothing pinned',
    packages: Object.fromEntries(
      [
        'fastify',
        '@node-rs/argon2',
        'pg',
        'drizzle-orm',
        'jose',
        '@electric-sql/pglite',
        'pino',
        'prom-client',
        'rate-limiter-flexible',
        'autocannon',
      ].map((name) => [name, packageVersion(name)]),
    ),
  };
}

// ---------------------------------------------------------------------------
// Memory and CPU accounting (all read from /proc, nothing is changed)

export function readRssMb(pid) {
  try {
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Math.round((Number(match[1]) / 1024) * 10) / 10 : null;
  } catch {
    return null;
  }
}

/** Samples VmRSS every `intervalMs`; `stop()` returns the largest value seen. */
export function sampleRss(pid, intervalMs = 200) {
  let max = readRssMb(pid) ?? 0;
  const timer = setInterval(() => {
    max = Math.max(max, readRssMb(pid) ?? 0);
  }, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(max, readRssMb(pid) ?? 0);
    },
  };
}

const ticksPerSecond = 100; // USER_HZ on Linux

function processTicks(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]); // utime + stime, all threads
  } catch {
    return null;
  }
}

function postgresPids() {
  const pids = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === 'postgres') pids.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}

function coreTicks() {
  const cores = {};
  for (const line of readFileSync('/proc/stat', 'utf8').split('\n')) {
    const match = /^cpu([0-9]+) (.+)$/.exec(line);
    if (!match) continue;
    const values = match[2].trim().split(/\s+/).map(Number);
    const idle = (values[3] ?? 0) + (values[4] ?? 0);
    const total = values.slice(0, 8).reduce((sum, value) => sum + value, 0);
    cores[match[1]] = { idle, total };
  }
  return cores;
}

/**
 * CPU use over a measurement, as a share of one core: the server process, the
 * PostgreSQL processes, this load generator, and how busy each core was (which
 * includes anything else running on the machine).
 */
export function cpuMeter(serverPid) {
  const startedAt = performance.now();
  const server = serverPid ? processTicks(serverPid) : null;
  const pgStart = new Map(postgresPids().map((pid) => [pid, processTicks(pid) ?? 0]));
  const self = process.cpuUsage();
  const cores = coreTicks();
  return {
    stop() {
      const seconds = (performance.now() - startedAt) / 1000;
      const share = (ticks) => Math.round((ticks / ticksPerSecond / seconds) * 100);
      let pgTicks = 0;
      for (const pid of postgresPids()) {
        const now = processTicks(pid);
        if (now !== null) pgTicks += now - (pgStart.get(pid) ?? 0);
      }
      const used = process.cpuUsage(self);
      const coresNow = coreTicks();
      const busy = {};
      for (const [core, now] of Object.entries(coresNow)) {
        const before = cores[core];
        if (!before) continue;
        const total = now.total - before.total;
        busy[`cpu${core}`] = total > 0 ? Math.round(((total - (now.idle - before.idle)) / total) * 100) : null;
      }
      const serverPct = serverPid && server !== null ? share((processTicks(serverPid) ?? server) - server) : null;
      const postgresPct = share(pgTicks);
      const loadGeneratorPct = Math.round(((used.user + used.system) / 1e6 / seconds) * 100);
      const allBusy = Object.values(busy).reduce((sum, value) => sum + (value ?? 0), 0);
      return {
        serverPct,
        postgresPct,
        loadGeneratorPct,
        coreBusyPct: busy,
        seconds: Math.round(seconds * 10) / 10,
        // Whatever else ran on the machine meanwhile (other processes, a shared host), in % of one core.
        otherPct: Math.max(0, allBusy - (serverPct ?? 0) - postgresPct - loadGeneratorPct),
      };
    },
  };
}

// ---------------------------------------------------------------------------
// Processes under test

async function waitForOk(url, child, timeoutMs) {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (hasExited(child)) {
      await Promise.race([child.exited, sleep(200)]);
      throw new Error(
        `${child.benchName} exited before answering ${url} (${child.spawnError?.message ?? `code ${child.exitCode}`}):\n${child.stderrTail}`,
      );
    }
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
      await response.arrayBuffer();
      if (response.status === 200) return;
    } catch {
      // not listening yet
    }
    await sleep(5);
  }
  throw new Error(`${child.benchName} did not answer ${url} within ${timeoutMs} ms:\n${child.stderrTail}`);
}

// The node flags of `npm start` (package.json), so the server is measured as users run it.
const startFlags =
  JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).scripts.start.match(/--[\w-]+(=\S+)?/g) ?? [];

/**
 * The real server, `node <npm start's flags> dist/main.js`, pinned to the server core. Cold start
 * is measured from spawn to the first 200 from /ready.
 */
/** The environment of the server under test (and of the CLI run against its database). */
export function gatehouseEnv({ databaseUrl, dataDir, logLevel = 'warn' }) {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    // Development, so that register answers carry the dev-only `otp` the sign-up flow needs.
    NODE_ENV: 'development',
    APP_SECRET: appSecret,
    LOG_LEVEL: logLevel,
    MAIL_TRANSPORT: 'console',
    SMS_PROVIDER: 'console',
    // Limits high enough never to trigger: they would turn throughput into 429s.
    RATE_LIMIT_PER_IP: '1000000000',
    RATE_LIMIT_PER_IDENTIFIER: '1000000000',
    LOCKOUT_THRESHOLD: '1000000000',
    OUTBOX_POLL_INTERVAL: '1s',
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : { DATA_DIR: dataDir }),
  };
}

export async function startGatehouse({ port, databaseUrl, dataDir, nodeArgs = [], logLevel = 'warn' }) {
  const env = { ...gatehouseEnv({ databaseUrl, dataDir, logLevel }), HOST: '127.0.0.1', PORT: String(port) };
  const [command, args] = pinned(settings.serverCpu, process.execPath, [
    ...startFlags,
    ...settings.serverNodeArgs,
    ...nodeArgs,
    join(root, 'dist', 'main.js'),
  ]);
  const startedAt = performance.now();
  // stdout (the request log at info, console emails) goes through a pipe that this process (on the
  // load core, like a log collector) reads and drops: writing to a pipe costs what it costs in production.
  const child = spawnTracked('gatehouse', command, args, { env, stdout: 'pipe' });
  child.stdout.resume();
  const url = `http://127.0.0.1:${port}`;
  await waitForOk(`${url}/ready`, child, 120_000);
  const coldStartMs = Math.round(performance.now() - startedAt);
  return { child, pid: child.pid, url, coldStartMs };
}

/** The framework limit: a bare Fastify 5 route in its own process, same core, same connections. */
export async function startCeiling(port) {
  const [command, args] = pinned(settings.serverCpu, process.execPath, [join(root, 'bench', 'ceiling-server.mjs')]);
  const child = spawnTracked('ceiling', command, args, {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, PORT: String(port) },
  });
  const url = `http://127.0.0.1:${port}`;
  await waitForOk(`${url}/`, child, 30_000);
  return { child, pid: child.pid, url };
}

/** Raw @node-rs/argon2 verify throughput at the production parameters, on the server core. */
export async function runArgon2Raw({ duration = settings.duration, warmup = settings.warmup, nice = 0, threads } = {}) {
  const script = [process.execPath, join(root, 'bench', 'argon2-raw.mjs')];
  const niced = nice ? ['nice', '-n', String(nice), ...script] : script;
  const [command, args] = pinned(settings.serverCpu, niced[0], niced.slice(1));
  const child = spawnTracked('argon2-raw', command, args, {
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      BENCH_DURATION: String(duration),
      BENCH_WARMUP: String(warmup),
      BENCH_ARGON2_CONCURRENCY: String(settings.argon2Concurrency),
      ...(threads ? { UV_THREADPOOL_SIZE: String(threads) } : {}),
    },
    stdout: 'pipe',
  });
  let output = '';
  child.stdout.on('data', (chunk) => {
    output += chunk.toString();
  });
  const { code } = await child.exited;
  if (code !== 0) throw new Error(`argon2-raw failed (${code}):\n${child.stderrTail}`);
  return JSON.parse(output.trim().split('\n').at(-1));
}

// ---------------------------------------------------------------------------
// HTTP helpers for set-up (not measured)

function assertLocal(url) {
  if (!url.startsWith('http://127.0.0.1:')) throw new Error(`refusing a non-local target: ${url}`);
}

export async function api(base, method, path, { body, token } = {}) {
  assertLocal(base);
  const headers = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch(`${base}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await response.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: response.status, body: json };
}

function expectStatus(result, status, what) {
  if (result.status !== status) {
    throw new Error(`${what}: expected ${status}, got ${result.status} ${JSON.stringify(result.body).slice(0, 300)}`);
  }
  return result.body;
}

export const benchEmail = (runId, index) => `bench-${runId}-${index}@example.com`;

async function inParallel(count, concurrency, task) {
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const index = next++;
      await task(index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}

/**
 * Users created through the API, the way an app would: register, verify the
 * email with the dev `otp` (first session), then a password login (second
 * session). Returns their emails and both sessions' tokens.
 */
export async function createPopulation(base, count, runId) {
  const users = [];
  const sessions = [];
  await inParallel(count, 8, async (index) => {
    const email = benchEmail(runId, index);
    const registered = expectStatus(
      await api(base, 'POST', '/auth/register', {
        body: { email, password: benchPassword, firstName: 'Bench', lastName: `User ${index}` },
      }),
      201,
      'register',
    );
    if (!registered.otp)
      throw new Error('register answered without `otp`: the server must run with NODE_ENV=development');
    const verified = expectStatus(
      await api(base, 'POST', '/auth/verify-email', {
        body: {
          email,
          otp: registered.otp,
          deviceInfo: { deviceName: `Bench phone ${index}`, platform: 'bench', deviceId: `bench-${runId}-${index}-v` },
        },
      }),
      200,
      'verify-email',
    );
    const signedIn = expectStatus(
      await api(base, 'POST', '/auth/login', {
        body: {
          email,
          password: benchPassword,
          deviceInfo: { deviceName: `Bench laptop ${index}`, platform: 'bench', deviceId: `bench-${runId}-${index}-l` },
        },
      }),
      200,
      'login',
    );
    users[index] = { email, userId: verified.user?.id };
    sessions.push(
      { accessToken: verified.accessToken, refreshToken: verified.refreshToken },
      { accessToken: signedIn.accessToken, refreshToken: signedIn.refreshToken },
    );
  });
  return {
    runId,
    users,
    accessTokens: sessions.map((session) => session.accessToken),
    // The refresh chains: each token is the current head of one session's chain.
    refreshChains: sessions.map((session) => session.refreshToken),
  };
}

/**
 * A session of its own (outside the token spread), logged out in the middle
 * of a load run, must be refused on its very next request.
 */
export async function checkRevocation(base, email) {
  const signedIn = expectStatus(
    await api(base, 'POST', '/auth/login', { body: { email, password: benchPassword } }),
    200,
    'login (revocation check)',
  );
  const { accessToken } = signedIn;
  const before = await api(base, 'GET', '/auth/profile', { token: accessToken });
  const logout = await api(base, 'POST', '/auth/logout', { token: accessToken, body: {} });
  const after = await api(base, 'GET', '/auth/profile', { token: accessToken });
  return {
    statusBefore: before.status,
    logoutStatus: logout.status,
    statusOnNextRequest: after.status,
    refusedOnNextRequest: before.status === 200 && logout.status === 200 && after.status === 401,
  };
}

// ---------------------------------------------------------------------------
// autocannon

/** One autocannon run; resolves when its fixed duration is over. */
export function cannon(options) {
  assertLocal(options.url);
  return autocannon({ timeout: 10, ...options, duration: options.duration ?? settings.duration });
}

export function summarize(result, extra = {}) {
  const seconds = result.duration || settings.duration;
  return {
    requestsPerSecond: Math.round(result['2xx'] / seconds),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    maxMs: result.latency.max,
    responses: result.requests.total,
    ok: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    seconds: Math.round(seconds * 10) / 10,
    ...extra,
  };
}

/**
 * Waits (up to BENCH_QUIET_WAIT seconds) until the whole machine is nearly
 * idle over one second, so a measurement does not start on top of another
 * process's burst. Returns the seconds waited.
 */
export async function waitForQuiet() {
  const startedAt = performance.now();
  while ((performance.now() - startedAt) / 1000 < settings.quietWait) {
    const before = coreTicks();
    await sleep(1000);
    const after = coreTicks();
    let busy = 0;
    for (const [core, now] of Object.entries(after)) {
      const was = before[core];
      if (!was || now.total === was.total) continue;
      busy += 1 - (now.idle - was.idle) / (now.total - was.total);
    }
    if (busy * 100 < settings.foreignLimit) break;
  }
  return Math.round((performance.now() - startedAt) / 1000);
}

/**
 * Runs `run()` (which returns a summary with `cpu`) after the machine went
 * quiet; when other processes took more than BENCH_FOREIGN_LIMIT % of a core
 * meanwhile, runs it again (BENCH_RETRIES times at most) and keeps the least
 * disturbed result.
 */
export async function leastDisturbed(run) {
  let best = null;
  for (let attempt = 0; attempt <= settings.retries; attempt++) {
    const waitedSeconds = await waitForQuiet();
    const summary = await run();
    summary.waitedSeconds = waitedSeconds;
    summary.attempts = attempt + 1;
    if (!best || summary.cpu.otherPct < best.cpu.otherPct) best = summary;
    if (summary.cpu.otherPct <= settings.foreignLimit) break;
    if (attempt < settings.retries) {
      log(`  other processes used ${summary.cpu.otherPct}% of a core meanwhile: measuring again`);
    }
  }
  return best;
}

/**
 * Warm-up (discarded), then the measured run with CPU and RSS sampling, as
 * the least disturbed of a few attempts. `makeOptions()` is called per run, so
 * per-run state (counters) starts fresh; `before()` runs ahead of each attempt.
 */
export function measure(name, makeOptions, { pid, during, before } = {}) {
  // A scenario's options either drive autocannon, or bring their own generator (`run`, wrk).
  const go = (options, duration) =>
    options.run ? options.run(duration) : cannon({ ...options, duration }).then((result) => ({ result }));
  return leastDisturbed(async () => {
    await before?.();
    if (settings.warmup > 0) {
      const { collect: _ignored, ...warmup } = makeOptions();
      await go(warmup, settings.warmup);
    }
    const { collect, ...options } = makeOptions();
    const rss = pid ? sampleRss(pid) : null;
    const cpu = cpuMeter(pid);
    const side = during ? during() : null;
    const { result, generatorPct } = await go(options, settings.duration);
    const usage = cpu.stop();
    if (generatorPct !== undefined) {
      // wrk is a process of its own: its CPU is the load generator's, not "other".
      usage.loadGeneratorPct += generatorPct;
      usage.otherPct = Math.max(0, usage.otherPct - generatorPct);
    }
    const rssMaxMb = rss ? rss.stop() : null;
    const summary = summarize(result, {
      connections: options.connections,
      cpu: usage,
      rssMaxMb,
      generator: options.generator ?? 'autocannon',
    });
    if (generatorPct) summary.generatorLimit = Math.round(summary.requestsPerSecond / (generatorPct / 100));
    if (side) Object.assign(summary, await side);
    if (collect) Object.assign(summary, collect());
    printLine(name, summary);
    return summary;
  });
}

export function printLine(name, s) {
  const cpu = s.cpu
    ? ` | cpu server ${s.cpu.serverPct ?? '-'}% pg ${s.cpu.postgresPct}% loadgen ${s.cpu.loadGeneratorPct}% other ${s.cpu.otherPct}%`
    : '';
  log(
    `${name.padEnd(22)} ${String(s.requestsPerSecond).padStart(7)} req/s  p50 ${s.p50Ms} ms  p99 ${s.p99Ms} ms  non-2xx ${s.non2xx}  errors ${s.errors}${cpu} (${s.generator}${s.generatorLimit ? `, limit ~${s.generatorLimit} req/s` : ''})`,
  );
}

// ---------------------------------------------------------------------------
// Scenario request generators

/** GET /auth/profile, each request with the next token of the spread (many users, many sessions). */
export function profileOptions(url, accessTokens, { connections = settings.connections, ...rest } = {}) {
  let next = 0;
  return {
    url,
    connections,
    requests: [
      {
        method: 'GET',
        path: '/auth/profile',
        setupRequest(request) {
          const token = accessTokens[next++ % accessTokens.length];
          return { ...request, headers: { ...request.headers, authorization: `Bearer ${token}` } };
        },
      },
    ],
    ...rest,
  };
}

/**
 * POST /auth/refresh where every request continues a chain: it sends the
 * refresh token the previous response of that chain returned. A chain is
 * checked out by one connection at a time (autocannon resets per-connection
 * context between requests, so chains live in a pool the connection takes
 * from and gives back to; with one request in flight per connection each
 * chain is only ever used sequentially). A chain in flight when the run
 * stops is dropped, never reused.
 */
export function refreshOptions(url, chains, stats) {
  if (chains.length < settings.connections + 1) {
    throw new Error(`refresh needs more chains (${chains.length}) than connections (${settings.connections})`);
  }
  return {
    url,
    connections: settings.connections,
    requests: [
      {
        method: 'POST',
        path: '/auth/refresh',
        headers: { 'content-type': 'application/json' },
        setupRequest(request, context) {
          const token = chains.pop();
          context.token = token;
          return { ...request, body: JSON.stringify({ refreshToken: token }) };
        },
        onResponse(status, body, context) {
          if (status === 200) {
            chains.push(JSON.parse(body).refreshToken);
            stats.rotated++;
          } else {
            // A refused chain is not put back: it is over.
            stats.refused++;
            stats.lastRefusal = String(body).slice(0, 200);
          }
          context.token = undefined;
        },
      },
    ],
  };
}

/** POST /auth/login at the production argon2id parameters, users in turn, a new device each time. */
export function loginOptions(url, emails, { connections = settings.loginConnections, tag = 'login' } = {}) {
  let next = 0;
  return {
    url,
    connections,
    requests: [
      {
        method: 'POST',
        path: '/auth/login',
        headers: { 'content-type': 'application/json' },
        setupRequest(request) {
          const index = next++;
          const body = {
            email: emails[index % emails.length],
            password: benchPassword,
            deviceInfo: { deviceName: 'Bench device', platform: 'bench', deviceId: `${tag}-${process.pid}-${index}` },
          };
          return { ...request, body: JSON.stringify(body) };
        },
      },
    ],
  };
}

/** The sign-up flow: register a new address, then verify it with the code from the answer. */
export function signupOptions(url, runId, stats) {
  let next = 0;
  return {
    url,
    connections: settings.signupConnections,
    requests: [
      {
        method: 'POST',
        path: '/auth/register',
        headers: { 'content-type': 'application/json' },
        setupRequest(request, context) {
          context.email = `signup-${runId}-${next++}@example.com`;
          context.otp = undefined;
          const body = { email: context.email, password: benchPassword, firstName: 'New', lastName: 'User' };
          return { ...request, body: JSON.stringify(body) };
        },
        onResponse(status, body, context) {
          if (status === 201) context.otp = JSON.parse(body).otp;
        },
      },
      {
        method: 'POST',
        path: '/auth/verify-email',
        headers: { 'content-type': 'application/json' },
        setupRequest(request, context) {
          // A failed register skips its verify (autocannon moves on to the next register).
          if (!context.otp) return null;
          const deviceInfo = { deviceName: 'New phone', platform: 'bench', deviceId: `${context.email}-d` };
          return { ...request, body: JSON.stringify({ email: context.email, otp: context.otp, deviceInfo }) };
        },
        onResponse(status) {
          if (status === 200) stats.completed++;
          else stats.failed++;
        },
      },
    ],
  };
}

// ---------------------------------------------------------------------------
// Open-loop reads for `mixed`

const percentile = (sorted, q) =>
  sorted.length === 0 ? null : Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] * 10) / 10;

/**
 * GET /auth/profile at a steady rate (open loop): request i is due at
 * start + i / rate and its latency counts from that moment, so a stalled
 * server cannot hide its stall by slowing the client down (no coordinated
 * omission). Used for the reads of `mixed`, where the question is how long a
 * read waits while logins keep the CPU busy, not how many reads fit.
 */
export async function pacedReads(url, accessTokens, { rate, durationMs, maxSockets = 64 }) {
  assertLocal(url);
  const { hostname, port } = new URL(url);
  const agent = new http.Agent({ keepAlive: true, maxSockets });
  const interval = 1000 / rate;
  const total = Math.floor(durationMs / interval);
  const latencies = [];
  const inFlight = new Set();
  let ok = 0;
  let non2xx = 0;
  let errors = 0;
  let sent = 0;
  const start = performance.now();

  const fire = (scheduledAt, token) => {
    const done = new Promise((resolve) => {
      const request = http.request(
        { hostname, port, path: '/auth/profile', method: 'GET', agent, headers: { authorization: `Bearer ${token}` } },
        (response) => {
          response.resume();
          response.on('end', () => {
            if (response.statusCode >= 200 && response.statusCode < 300) {
              ok++;
              latencies.push(performance.now() - scheduledAt);
            } else {
              non2xx++;
            }
            resolve();
          });
        },
      );
      request.setTimeout(10_000, () => request.destroy(new Error('timeout')));
      request.on('error', () => {
        errors++;
        resolve();
      });
      request.end();
    });
    inFlight.add(done);
    done.then(() => inFlight.delete(done));
  };

  while (sent < total) {
    const due = Math.min(total, Math.floor((performance.now() - start) / interval) + 1);
    while (sent < due) {
      fire(start + sent * interval, accessTokens[sent % accessTokens.length]);
      sent++;
    }
    await sleep(1);
  }
  await Promise.race([Promise.all(inFlight), sleep(15_000)]);
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const seconds = durationMs / 1000;
  return {
    requestsPerSecond: Math.round(ok / seconds),
    targetRate: rate,
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
    maxMs: percentile(latencies, 1),
    responses: ok + non2xx,
    ok,
    non2xx,
    errors,
    timeouts: 0,
    seconds,
  };
}
