import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

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

describe('gatehouse CLI', () => {
  it('--help lists every command on one line each and exits 0', async () => {
    const { code, stdout } = await cli('--help');
    expect(code).toBe(0);
    expect(lines(stdout).filter((line) => /^\s+migrate\s+\S/.test(line))).toHaveLength(1);
    expect(lines(stdout).filter((line) => /^\s+create-super-admin\s+\S/.test(line))).toHaveLength(1);
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
