import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { Agent, type ClientRequest, request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';

/**
 * The real server, started as an operator starts it (`node src/main.ts` on the
 * embedded database), stopped with a signal while it works.
 */

const root = fileURLToPath(new URL('..', import.meta.url));
const appSecret = 'shutdown-test-app-secret-0123456789abcdef';
const password = 'correct horse battery staple';
const readyWithinMs = 60_000;
const exitWithinMs = 20_000;

interface RunningServer {
  child: ChildProcess;
  port: number;
  url: string;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const started: RunningServer[] = [];
const dataDirs: string[] = [];

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (!address || typeof address === 'string') throw new Error('no port');
  return address.port;
}

async function freshDataDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-shutdown-'));
  dataDirs.push(dir);
  return dir;
}

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function startServer(dataDir: string, extraEnv: Record<string, string> = {}): Promise<RunningServer> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    ...(process.env.TMPDIR ? { TMPDIR: process.env.TMPDIR } : {}),
    NODE_ENV: 'development',
    DATA_DIR: dataDir,
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    APP_SECRET: appSecret,
    ...extraEnv,
  };
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  const server: RunningServer = { child, port, url: `http://127.0.0.1:${port}`, output: () => output, exited };
  started.push(server);

  const deadline = Date.now() + readyWithinMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`server exited before it was ready:\n${output}`);
    }
    try {
      const response = await fetch(`${server.url}/ready`, { signal: AbortSignal.timeout(2_000) });
      if (response.status === 200) return server;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) throw new Error(`server not ready within ${readyWithinMs} ms:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** The server's own log lines (not the request lines or the console emails), for a failure message. */
function tail(output: string): string {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{') && !line.includes('"msg":"request"'))
    .slice(-10)
    .join('\n');
}

async function stop(server: RunningServer, signal: NodeJS.Signals) {
  server.child.kill(signal);
  return within(server.exited, exitWithinMs, `exit after ${signal}`);
}

type Answer = { status: number; body: string; error?: string };

interface Sent {
  /** Resolves once the request (or, when held back, its first half) has been handed to the operating system. */
  written: Promise<void>;
  response: Promise<Answer>;
  /** Sends the rest of a held-back body. */
  finish: () => void;
}

/**
 * node:http rather than fetch, to know when a request has left this process; failures resolve with
 * status 0. With `holdBack`, only half of the body goes out until `finish()`: a slow upload, in flight.
 */
function send(
  port: number,
  method: string,
  path: string,
  body?: unknown,
  options: { agent?: Agent; holdBack?: boolean } = {},
): Sent {
  const payload = body === undefined ? '' : JSON.stringify(body);
  const half = options.holdBack ? Math.floor(payload.length / 2) : payload.length;
  let outgoing: ClientRequest | undefined;
  let written!: () => void;
  const writtenPromise = new Promise<void>((resolve) => {
    written = resolve;
  });
  const response = new Promise<Answer>((resolve) => {
    outgoing = request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        agent: options.agent ?? false,
        timeout: 30_000,
        headers: payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {},
      },
      (incoming) => {
        let text = '';
        incoming.setEncoding('utf8');
        incoming.on('data', (chunk: string) => {
          text += chunk;
        });
        incoming.on('end', () => resolve({ status: incoming.statusCode ?? 0, body: text }));
        incoming.on('error', (error) => resolve({ status: 0, body: text, error: String(error) }));
      },
    );
    outgoing.on('timeout', () => outgoing?.destroy(new Error('no answer within 30 s')));
    outgoing.on('error', (error) => {
      written();
      resolve({ status: 0, body: '', error: String(error) });
    });
    if (options.holdBack) {
      outgoing.flushHeaders();
      outgoing.write(payload.slice(0, half), () => written());
    } else {
      outgoing.end(payload, () => written());
    }
  });
  return { written: writtenPromise, response, finish: () => outgoing?.end(payload.slice(half)) };
}

async function waitForOutput(server: RunningServer, text: string) {
  const deadline = Date.now() + exitWithinMs;
  while (!server.output().includes(text)) {
    if (Date.now() > deadline) throw new Error(`no "${text}" in the server log within ${exitWithinMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function postJson(url: string, body: unknown) {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
}

afterEach(async () => {
  for (const server of started.splice(0)) {
    if (server.child.exitCode === null && server.child.signalCode === null) {
      server.child.kill('SIGKILL');
      await within(server.exited, exitWithinMs, 'exit after SIGKILL').catch(() => {});
    }
  }
});

afterAll(async () => {
  await Promise.all(dataDirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('graceful shutdown of the real server', () => {
  it('finishes every in-flight request after SIGTERM, stops accepting new ones, then exits 0', async () => {
    const server = await startServer(await freshDataDir());
    // The first registration loads the password dictionaries; the burst below is about shutdown, not that.
    const warmUp = await send(server.port, 'POST', '/auth/register', {
      email: `warmup.${Date.now()}@example.com`,
      password,
    }).response;
    expect(warmUp.status).toBe(201);

    // Keep-alive connections, as browsers, fetch and load balancers use them.
    const agent = new Agent({ keepAlive: true });
    try {
      const stamp = Date.now();
      const register = (name: string, holdBack = false) =>
        send(
          server.port,
          'POST',
          '/auth/register',
          { email: `${name}.${stamp}@example.com`, password: `${password} ${name}` },
          { agent, holdBack },
        );
      // A slow client still uploading when the signal comes, and a burst of registrations that each cost a
      // production argon2id hash.
      const upload = register('upload', true);
      const burst = Array.from({ length: 10 }, (_, index) => register(`burst${index}`));
      const requests = [upload, ...burst];

      // Once written, every request is in the server's socket buffers; a request on a new connection is
      // answered only after the server has accepted and parsed the headers of everything queued before it.
      await Promise.all(requests.map(({ written }) => written));
      expect((await send(server.port, 'GET', '/health').response).status).toBe(200);

      server.child.kill('SIGTERM');
      await waitForOutput(server, 'shutting down');
      upload.finish();

      const results = await Promise.all(requests.map(({ response }) => response));
      expect(results.map((result) => result.status)).toEqual(Array(requests.length).fill(201));

      // The listener is closed: a newcomer is refused, not served.
      const late = await send(server.port, 'GET', '/health').response;
      expect(late.status === 503 || /ECONNREFUSED|ECONNRESET/.test(late.error ?? ''), JSON.stringify(late)).toBe(true);

      const exit = await within(server.exited, exitWithinMs, 'exit after SIGTERM');
      expect(server.output()).toContain('"signal":"SIGTERM"');
      // Code 1 would mean the 10 s grace period in main.ts ran out before app.close() finished.
      expect(exit, tail(server.output())).toEqual({ code: 0, signal: null });
    } finally {
      agent.destroy();
    }
  }, 120_000);

  it('keeps what was written: a user verified before SIGINT signs in after a restart', async () => {
    const dataDir = await freshDataDir();
    const email = `persisted.${Date.now()}@example.com`;

    const first = await startServer(dataDir);
    const registered = await postJson(`${first.url}/auth/register`, { email, password });
    expect(registered.status).toBe(201);
    const { otp } = (await registered.json()) as { otp: string };
    expect(otp).toMatch(/^\d{6}$/);
    const verified = await postJson(`${first.url}/auth/verify-email`, { email, otp });
    expect(verified.status).toBe(200);
    expect(await stop(first, 'SIGINT'), tail(first.output())).toEqual({ code: 0, signal: null });
    expect(first.output()).toContain('shutting down');

    const second = await startServer(dataDir);
    const signedIn = await postJson(`${second.url}/auth/login`, { email, password });
    expect(signedIn.status).toBe(200);
    const body = (await signedIn.json()) as { user: { email: string; emailVerified: boolean } };
    expect(body.user).toMatchObject({ email, emailVerified: true });
    const wrong = await postJson(`${second.url}/auth/login`, { email, password: `${password} no` });
    expect(wrong.status).toBe(401);
    expect(await stop(second, 'SIGTERM'), tail(second.output())).toEqual({ code: 0, signal: null });
  }, 180_000);
});

describe('METRICS_PORT', () => {
  it('serves /metrics on its own port without a token, and not on the main port', async () => {
    const metricsPort = await freePort();
    const server = await startServer(await freshDataDir(), { METRICS_PORT: String(metricsPort) });

    const onMainPort = await fetch(`${server.url}/metrics`, { signal: AbortSignal.timeout(10_000) });
    expect(onMainPort.status).toBe(404);
    expect(((await onMainPort.json()) as { code: string }).code).toBe('NOT_FOUND');

    const scraped = await fetch(`http://127.0.0.1:${metricsPort}/metrics`, { signal: AbortSignal.timeout(10_000) });
    expect(scraped.status).toBe(200);
    expect(scraped.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await scraped.text();
    // The readiness polls and the refused /metrics above, counted by the main server, scraped from the other port.
    expect(text).toMatch(/^gatehouse_http_requests_total\{[^}]*route="\/ready"[^}]*status="200"[^}]*\} [1-9]/m);
    expect(text).toMatch(/^gatehouse_db_pool_connections\{state="total"\} 1$/m);
    expect(text).toContain('# TYPE gatehouse_outbox_backlog gauge');

    expect(await stop(server, 'SIGTERM'), tail(server.output())).toEqual({ code: 0, signal: null });
  }, 120_000);
});
