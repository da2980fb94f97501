import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createHashWorkers } from './hash-workers.js';

const cheap = { algorithm: 2 as const, memoryCost: 1024, timeCost: 1, parallelism: 1 };

/** Nice values of this process's threads (Linux: the 19th field of each thread's stat). */
function threadNiceValues(): number[] {
  return readdirSync('/proc/self/task').map((tid) => {
    const afterName = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8').split(') ')[1] ?? '';
    return Number(afterName.split(' ')[16]);
  });
}

let workers: ReturnType<typeof createHashWorkers> | undefined;
afterEach(async () => {
  await workers?.close();
  workers = undefined;
});

describe('hash workers', () => {
  it('hashes and verifies, many jobs queued behind two workers', async () => {
    workers = createHashWorkers(2);
    const passwords = Array.from({ length: 6 }, (_, index) => `password number ${index}`);
    const hashes = await Promise.all(passwords.map((password) => workers?.hash(password, cheap)));
    expect(hashes.every((hash) => hash?.startsWith('$argon2id$v=19$m=1024,t=1,p=1$'))).toBe(true);
    const checks = await Promise.all(
      hashes.map((hash, index) => workers?.verify(hash as string, passwords[index === 0 ? 1 : index] as string)),
    );
    expect(checks).toEqual([false, true, true, true, true, true]);
  });

  it('rejects a hash it cannot parse without harming the next job', async () => {
    workers = createHashWorkers(1);
    await expect(workers.verify('not a hash', 'whatever')).rejects.toThrow();
    const hash = await workers.hash('still working', cheap);
    expect(await workers.verify(hash, 'still working')).toBe(true);
  });

  it('hashes on threads at a lower priority than the event loop', async () => {
    const mainNice = () => Number(readFileSync('/proc/self/stat', 'utf8').split(') ')[1]?.split(' ')[16]);
    const mainBefore = mainNice();
    const before = threadNiceValues().filter((nice) => nice === 10).length;
    workers = createHashWorkers(1);
    await workers.hash('start a worker', cheap);
    expect(threadNiceValues().filter((nice) => nice === 10).length).toBe(before + 1);
    // The event loop's own thread keeps its priority.
    expect(mainNice()).toBe(mainBefore);
  });

  it('starts no thread before the first job (an idle server pays nothing)', async () => {
    const before = readdirSync('/proc/self/task').length;
    workers = createHashWorkers(2);
    expect(readdirSync('/proc/self/task').length).toBe(before);
  });

  it('keeps a process alive while a job runs, and lets it exit once the threads are idle', async () => {
    // What `npm run cli -- create-super-admin` does: hash with nothing else pending, never close.
    const script = `
      import { createHashWorkers } from './src/platform/hash-workers.ts';
      const workers = createHashWorkers(1);
      const hash = await workers.hash('from a script', ${JSON.stringify(cheap)});
      console.log(hash.slice(0, 9));`;
    const root = fileURLToPath(new URL('../..', import.meta.url));
    const outcome = await new Promise<{ code: number | string | null; stdout: string }>((resolve) => {
      execFile(
        process.execPath,
        ['--import', 'tsx', '--input-type=module', '-e', script],
        { cwd: root, timeout: 20_000 },
        (error, stdout) => resolve({ code: error ? (error.code ?? error.signal ?? -1) : 0, stdout }),
      );
    });
    expect(outcome).toEqual({ code: 0, stdout: '$argon2id\n' });
  }, 30_000);

  it('fails queued jobs when closed', async () => {
    workers = createHashWorkers(1);
    const jobs = Array.from({ length: 3 }, (_, index) => workers?.hash(`queued ${index}`, cheap));
    const settled = Promise.allSettled(jobs);
    await workers.close();
    workers = undefined;
    const outcomes = await settled;
    expect(outcomes.some((outcome) => outcome.status === 'rejected')).toBe(true);
  });
});
