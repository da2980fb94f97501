import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Database, openDatabase } from '../src/db/database.js';
import { signingKeys } from '../src/db/schema.js';
import { createOidcKeys } from '../src/modules/oidc/keys.js';
import { createOidcRepository } from '../src/modules/oidc/repository.js';
import { resolveAppSecret } from '../src/platform/app-secret.js';
import { systemClock } from '../src/platform/clock.js';
import { createSecrets } from '../src/platform/secrets.js';

const root = fileURLToPath(new URL('..', import.meta.url));
let dataDir: string;
beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'gatehouse-cli-'));
});
afterAll(() => rm(dataDir, { recursive: true, force: true }));

/** Runs `src/cli.ts` as an operator would, on an embedded database in a fresh directory. */
function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir, NODE_ENV: 'development', LOG_LEVEL: 'silent' };
  delete env.DATABASE_URL;
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'src/cli.ts', ...args],
      { cwd: root, env, timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

const lines = (text: string) => text.split('\n').filter((line) => line.trim() !== '');

/** The CLI's embedded database, opened between two runs as the server would (never while one runs). */
async function inDatabase<T>(use: (db: Database) => Promise<T>): Promise<T> {
  const database = await openDatabase({ dataDir });
  try {
    await database.migrate();
    return await use(database.db);
  } finally {
    await database.close();
  }
}

/** The value printed after `label:` on its own line. */
function labelled(stdout: string, label: string): string | undefined {
  return new RegExp(`^${label}:\\s+(\\S+)$`, 'm').exec(stdout)?.[1];
}

describe('gatehouse CLI', () => {
  it('--help lists every command on one line each and exits 0', async () => {
    const { code, stdout } = await cli('--help');
    expect(code).toBe(0);
    expect(lines(stdout).filter((line) => /^\s+migrate\s+\S/.test(line))).toHaveLength(1);
    expect(lines(stdout).filter((line) => /^\s+create-super-admin\s+\S/.test(line))).toHaveLength(1);
    for (const command of ['oidc-client create', 'oidc-client list', 'oidc-client delete', 'oidc-keys rotate']) {
      expect(lines(stdout).filter((line) => new RegExp(`^\\s+${command}\\s+\\S`).test(line))).toHaveLength(1);
    }
  });

  it('create-super-admin without a password explains the usage in one line and exits 1', async () => {
    const { code, stderr } = await cli('create-super-admin', '--email', 'a@example.com');
    expect(code).toBe(1);
    expect(lines(stderr)).toEqual([expect.stringMatching(/^gatehouse: usage: create-super-admin --email/)]);
  });

  it('create-super-admin creates the admin once; a second identical run fails with one line', async () => {
    const args = ['create-super-admin', '--email', 'a@example.com', '--password', 'a long unusual passphrase'];
    const first = await cli(...args);
    expect(first).toMatchObject({ code: 0, stderr: '' });
    expect(first.stdout).toContain('a@example.com');

    const second = await cli(...args);
    expect(second.code).toBe(1);
    expect(lines(second.stderr)).toEqual([expect.stringMatching(/^gatehouse: .*a@example\.com.*already exists/)]);
  }, 90_000);

  it('migrate applies the migrations and exits 0', async () => {
    const { code, stdout } = await cli('migrate');
    expect(code).toBe(0);
    expect(stdout).toContain('migrations applied (pglite)');
  });
});

describe('gatehouse CLI: the OpenID provider', () => {
  it("oidc-client create prints a confidential client's id and secret once, and stores only its SHA-256", async () => {
    const created = await cli(
      ...['oidc-client', 'create', '--name', 'Orders', '--type', 'confidential'],
      ...['--redirect-uri', 'https://orders.example.com/cb', '--redirect-uri', 'http://127.0.0.1:8080/cb'],
      ...['--post-logout-redirect-uri', 'https://orders.example.com/bye', '--scope', 'openid', '--scope', 'email'],
      ...['--first-party', '--id-token-signing-alg', 'EdDSA'],
    );
    expect(created).toMatchObject({ code: 0, stderr: '' });
    const clientId = labelled(created.stdout, 'client id');
    const secret = labelled(created.stdout, 'client secret');
    expect(clientId).toMatch(/^[A-Za-z0-9_-]{16,}$/);
    expect(secret).toMatch(/^[A-Za-z0-9_-]{32,}$/);

    const row = await inDatabase((db) => createOidcRepository(db).findClient(clientId as string));
    expect(row).toMatchObject({
      name: 'Orders',
      type: 'confidential',
      redirectUris: ['https://orders.example.com/cb', 'http://127.0.0.1:8080/cb'],
      postLogoutRedirectUris: ['https://orders.example.com/bye'],
      grantTypes: ['authorization_code', 'refresh_token'],
      scopes: ['openid', 'email'],
      firstParty: true,
      idTokenSigningAlg: 'EdDSA',
      secretHash: createHash('sha256')
        .update(secret as string)
        .digest('hex'),
    });
    expect(JSON.stringify(row)).not.toContain(secret);
  }, 30_000);

  it('oidc-client create prints no secret for a public client', async () => {
    const created = await cli(
      ...['oidc-client', 'create', '--name', 'Phone app', '--type', 'public', '--redirect-uri', 'com.example.app:/cb'],
    );
    expect(created).toMatchObject({ code: 0, stderr: '' });
    expect(created.stdout).not.toMatch(/secret/i);
    const row = await inDatabase((db) =>
      createOidcRepository(db).findClient(labelled(created.stdout, 'client id') ?? ''),
    );
    expect(row).toMatchObject({ type: 'public', secretHash: null });
  }, 30_000);

  it('oidc-client list shows one line per client; oidc-client delete removes one', async () => {
    const created = await cli(
      ...['oidc-client', 'create', '--name', 'Billing', '--type', 'confidential'],
      ...['--redirect-uri', 'https://billing.example.com/cb', '--redirect-uri', 'https://billing.example.com/cb2'],
    );
    const clientId = labelled(created.stdout, 'client id') as string;
    const listed = await cli('oidc-client', 'list');
    expect(listed).toMatchObject({ code: 0, stderr: '' });
    const line = lines(listed.stdout).filter((candidate) => candidate.startsWith(clientId));
    expect(line).toEqual([
      expect.stringMatching(
        / confidential +"Billing" +https:\/\/billing\.example\.com\/cb https:\/\/billing\.example\.com\/cb2$/,
      ),
    ]);

    const deleted = await cli('oidc-client', 'delete', clientId);
    expect(deleted).toMatchObject({ code: 0, stderr: '' });
    expect(deleted.stdout).toContain(clientId);
    expect((await cli('oidc-client', 'list')).stdout).not.toContain(clientId);

    const again = await cli('oidc-client', 'delete', clientId);
    expect(again.code).toBe(1);
    expect(lines(again.stderr)).toEqual(['gatehouse: No such OpenID client']);
  }, 60_000);

  it.each([
    [
      'an http address off loopback',
      ['--redirect-uri', 'http://example.com/cb'],
      /^gatehouse: redirectUris: http is allowed only for loopback/,
    ],
    [
      'an unknown type',
      ['--type', 'secret', '--redirect-uri', 'https://a.example/cb'],
      /^gatehouse: type: "secret" is not one of public, confidential$/,
    ],
    ['no redirect URI for the code grant', [], /^gatehouse: redirectUris: authorization_code needs at least one$/],
    [
      'an ID token algorithm it does not offer',
      ['--redirect-uri', 'https://a.example/cb', '--id-token-signing-alg', 'HS256'],
      /^gatehouse: idTokenSigningAlg: "HS256" is not one of RS256, EdDSA$/,
    ],
  ])(
    'oidc-client create refuses %s with the one-line reason and exit 1',
    async (_case, extra, message) => {
      const refused = await cli('oidc-client', 'create', '--name', 'Refused', '--type', 'public', ...extra);
      expect(refused).toMatchObject({ code: 1, stdout: '' });
      expect(lines(refused.stderr)).toEqual([expect.stringMatching(message)]);
    },
    30_000,
  );

  it('oidc-keys rotate retires the signing keys a server made and makes a new pair it can decrypt', async () => {
    // As a server would at first start: the keys, encrypted with the APP_SECRET kept in the data dir.
    const secrets = createSecrets(await resolveAppSecret(undefined, dataDir));
    const keysOf = (db: Database) => createOidcKeys({ db, secrets, clock: systemClock });
    const oldKids = await inDatabase(async (db) => {
      await keysOf(db).load(3600);
      return (await keysOf(db).currentKids()).split(',');
    });
    expect(oldKids).toHaveLength(2);

    const rotated = await cli('oidc-keys', 'rotate');
    expect(rotated).toMatchObject({ code: 0, stderr: '' });
    expect(rotated.stdout).toMatch(/retired keys stay published for an hour/);
    expect(rotated.stdout).toMatch(/running instances pick the new keys up within a minute/);

    const rows = await inDatabase((db) => db.select().from(signingKeys).where(eq(signingKeys.purpose, 'oidc')));
    const retired = rows.filter((row) => row.retiredAt !== null);
    const active = rows.filter((row) => row.retiredAt === null);
    expect(retired.map((row) => row.kid).sort()).toEqual([...oldKids].sort());
    expect(active.map((row) => row.algorithm).sort()).toEqual(['EdDSA', 'RS256']);
    for (const row of active) expect(rotated.stdout).toContain(row.kid);
    // The server decrypts the new private keys with its secret: the new pair signs, the old one stays published.
    const published = (await inDatabase((db) => keysOf(db).load(3600))).keys.map((key) => key.kid);
    expect(published.slice(0, 2).sort()).toEqual(active.map((row) => row.kid).sort());
    expect(published.slice(2).sort()).toEqual([...oldKids].sort());
  }, 30_000);
});
