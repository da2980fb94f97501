// wrk (Debian's package) as the load generator for the throughput scenarios:
// one thread on the load core, so its own limit is far above what the server
// under test can answer (its CPU use is measured in every run to show it).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pinned, settings, spawnTracked } from './lib.mjs';

/** Installs Debian's wrk when it is missing and we may (root); otherwise says how. */
export function ensureWrk() {
  if (spawnSync('wrk', ['--version']).error === undefined) return;
  if (process.getuid?.() === 0) {
    spawnSync('apt-get', ['install', '-y', '-qq', 'wrk'], {
      stdio: 'ignore',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    if (spawnSync('wrk', ['--version']).error === undefined) return;
  }
  throw new Error('wrk is needed for the throughput scenarios: apt-get install wrk');
}

const unitMs = { us: 0.001, ms: 1, s: 1000, m: 60_000 };
const toMs = (text) => {
  const match = /^([0-9.]+)(us|ms|s|m)$/.exec(text);
  return match ? Math.round(Number(match[1]) * unitMs[match[2]] * 100) / 100 : null;
};

/** wrk's text report as the fields `summarize` reads from an autocannon result. */
function parseReport(text, seconds) {
  const total = Number(/([0-9]+) requests in ([0-9.]+)(\w+)/.exec(text)?.[1] ?? 0);
  const non2xx = Number(/Non-2xx or 3xx responses: ([0-9]+)/.exec(text)?.[1] ?? 0);
  const socket = /Socket errors: connect ([0-9]+), read ([0-9]+), write ([0-9]+), timeout ([0-9]+)/.exec(text);
  const percentile = (p) => toMs(new RegExp(`^\\s+${p}%\\s+(\\S+)$`, 'm').exec(text)?.[1] ?? '');
  const latencyLine = /^\s+Latency\s+(\S+)\s+(\S+)\s+(\S+)/m.exec(text);
  return {
    duration: seconds,
    '2xx': total - non2xx,
    non2xx,
    errors: socket ? Number(socket[1]) + Number(socket[2]) + Number(socket[3]) : 0,
    timeouts: socket ? Number(socket[4]) : 0,
    requests: { total },
    latency: { p50: percentile(50), p99: percentile(99), max: latencyLine ? toMs(latencyLine[3]) : null },
  };
}

function ticksOf(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return null;
  }
}

const scripts = mkdtempSync(join(tmpdir(), 'gatehouse-wrk-'));

/**
 * A Lua script that sends `path` with each request taking the next of
 * `headerValues` for `header` (many users, many sessions), or none.
 */
function luaFor(path, header, headerValues) {
  const file = join(scripts, `${Math.random().toString(36).slice(2)}.lua`);
  const list = headerValues.map((value) => JSON.stringify(value)).join(',\n');
  writeFileSync(
    file,
    `local values = {\n${list}\n}\nlocal i = 0\nrequest = function()\n  i = i + 1\n  return wrk.format("GET", ${JSON.stringify(path)}, { [${JSON.stringify(header)}] = values[(i % #values) + 1] })\nend\n`,
  );
  return file;
}

/**
 * One wrk run (GET only): `{ url, path, connections, duration, rotate?: { header, values } }`.
 * Resolves with an autocannon-shaped result and the share of its core wrk used.
 */
export async function wrk({
  url,
  path = '/',
  connections = settings.connections,
  duration = settings.duration,
  rotate,
}) {
  const args = ['-t1', `-c${connections}`, `-d${duration}s`, '--latency', '--timeout', '10s'];
  if (rotate) args.push('-s', luaFor(path, rotate.header, rotate.values));
  args.push(`${url}${path}`);
  const [command, commandArgs] = pinned(settings.loadCpu, 'wrk', args);
  const child = spawnTracked('wrk', command, commandArgs, { stdout: 'pipe' });
  let report = '';
  child.stdout.on('data', (chunk) => {
    report += chunk.toString();
  });
  // taskset execs wrk in place, so the pid is wrk's; its CPU is read until it exits.
  const startedAt = performance.now();
  const first = ticksOf(child.pid) ?? 0;
  let last = first;
  let lastAt = startedAt;
  const timer = setInterval(() => {
    const now = ticksOf(child.pid);
    if (now !== null) {
      last = now;
      lastAt = performance.now();
    }
  }, 100);
  const { code } = await child.exited;
  clearInterval(timer);
  await sleep(0);
  if (code !== 0) throw new Error(`wrk failed (${code}): ${child.stderrTail}`);
  const generatorPct = Math.round(((last - first) / 100 / ((lastAt - startedAt) / 1000)) * 100);
  return { result: parseReport(report, duration), generatorPct };
}

/** Options for `measure`: GET `path` with wrk, optionally a different `header` value per request. */
export function wrkGet(url, path, { connections = settings.connections, rotate } = {}) {
  return { connections, generator: 'wrk', run: (duration) => wrk({ url, path, connections, duration, rotate }) };
}
