// Where the server's CPU goes under one scenario: runs `node --cpu-prof
// dist/main.js` (pinned like in `npm run bench`) on a fresh PostgreSQL
// database, drives the scenario, stops the server gracefully (which writes
// the .cpuprofile) and prints the top self-time functions and packages.
//
//   node bench/cpu-profile.mjs [profile|refresh|login|oidc-token|oidc-introspection]    (default: profile)
//
// The summary is also written to bench/cpu-profile-<scenario>.txt; the raw
// profile stays in a temp directory (open it in Chrome DevTools > Performance).
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import {
  cannon,
  createPopulation,
  ensureBuilt,
  gatehouseEnv,
  log,
  loginOptions,
  profileOptions,
  refreshOptions,
  root,
  runPinned,
  settings,
  startGatehouse,
  stopChild,
  summarize,
} from './lib.mjs';
import { clientCredentialsOptions, introspectionOptions, issueToken, registerMachineClient } from './oidc.mjs';
import { formatSummary, summarizeProfile } from './summarize-cpuprofile.mjs';

const scenario = process.argv[2] ?? 'profile';
const database = `${settings.database}_cpuprof`;

async function admin(sql) {
  const client = new pg.Client({ connectionString: settings.adminUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

async function main() {
  const scenarios = ['profile', 'refresh', 'login', 'oidc-token', 'oidc-introspection'];
  if (!scenarios.includes(scenario)) throw new Error(`unknown scenario ${scenario}`);
  if (!/^[a-z_][a-z0-9_]*$/.test(database)) throw new Error(`bad database name ${database}`);
  ensureBuilt();
  const url = new URL(settings.adminUrl);
  url.pathname = `/${database}`;
  await admin(`drop database if exists ${database} with (force)`);
  await admin(`create database ${database}`);
  const profileDir = mkdtempSync(join(os.tmpdir(), 'gatehouse-cpuprof-'));
  const server = await startGatehouse({
    port: settings.port + 5,
    databaseUrl: url.toString(),
    nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${profileDir}`],
  });
  let measured = '';
  try {
    // Fewer sign-ins than the suite (argon2 time in the profile is set-up, not the scenario), enough refresh chains.
    const population = await createPopulation(
      server.url,
      process.env.BENCH_USERS ? settings.users : 60,
      Date.now().toString(36),
    );
    const emails = population.users.map((user) => user.email);
    const stats = { rotated: 0, refused: 0 };
    const client = scenario.startsWith('oidc')
      ? registerMachineClient(gatehouseEnv({ databaseUrl: url.toString() }))
      : null;
    const token = client ? await issueToken(server.url, client) : null;
    const options = () => {
      if (scenario === 'oidc-token') return clientCredentialsOptions(server.url, client, settings.connections);
      if (scenario === 'oidc-introspection') {
        return introspectionOptions(server.url, client, token, settings.connections);
      }
      if (scenario === 'profile') return profileOptions(server.url, population.accessTokens);
      if (scenario === 'refresh') return refreshOptions(server.url, population.refreshChains, stats);
      return loginOptions(server.url, emails);
    };
    if (settings.warmup > 0) await cannon({ ...options(), duration: settings.warmup });
    const result = summarize(await cannon(options()));
    measured = `${scenario} under --cpu-prof: ${result.requestsPerSecond} req/s, p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms, non-2xx ${result.non2xx}`;
    log(measured);
  } finally {
    await stopChild(server.child);
    await admin(`drop database if exists ${database} with (force)`).catch(() => {});
  }
  const file = readdirSync(profileDir).find((name) => name.endsWith('.cpuprofile'));
  if (!file) throw new Error(`no .cpuprofile written in ${profileDir}`);
  const path = join(profileDir, file);
  const text = formatSummary(summarizeProfile(JSON.parse(readFileSync(path, 'utf8')), 30));
  console.log(`\n${path}\n\n${text}`);
  writeFileSync(
    join(root, 'bench', `cpu-profile-${scenario}.txt`),
    `${measured}\n(profile covers start-up, the set-up sign-ins and the warm-up too)\n${path}\n\n${text}\n`,
  );
}

await runPinned(import.meta.url, main);
