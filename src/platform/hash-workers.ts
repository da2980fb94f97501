import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

export interface Argon2Options {
  algorithm: 2;
  memoryCost: number;
  timeCost: number;
  parallelism: number;
}

type Job =
  | { op: 'hash'; password: string; options: Argon2Options }
  | { op: 'verify'; passwordHash: string; password: string };

interface Pending {
  job: Job;
  resolve: (value: string | boolean) => void;
  reject: (error: Error) => void;
}

// On Linux a nice value belongs to a thread: the hashing threads yield the core to the event
// loop whenever it has work, so a login never delays another request's answer (bench/ mixed).
const hashingNice = 10;

// CommonJS, evaluated in the worker: no build step or file path to get right in dist/, tsx or tests.
const workerSource = `
const { parentPort, workerData } = require('node:worker_threads');
const { setPriority } = require('node:os');
const argon2 = require(workerData.argon2Path);
try { setPriority(workerData.nice); } catch {}
parentPort.on('message', (job) => {
  try {
    const result = job.op === 'hash'
      ? argon2.hashSync(job.password, job.options)
      : argon2.verifySync(job.passwordHash, job.password);
    parentPort.postMessage({ result });
  } catch (error) {
    parentPort.postMessage({ error: String(error && error.message || error) });
  }
});`;

/**
 * argon2id in `size` worker threads at a lower CPU priority, one job each
 * at a time, the rest queued in arrival order. Started on first use, so an
 * idle server pays no memory for them.
 */
export function createHashWorkers(size: number) {
  const argon2Path = createRequire(import.meta.url).resolve('@node-rs/argon2');
  const queue: Pending[] = [];
  const idle: Worker[] = [];
  const busy = new Map<Worker, Pending>();
  let started = 0;

  function spawn(): Worker {
    // No inherited execArgv: the source is plain CommonJS and needs no loader (tsx) or flags.
    const worker = new Worker(workerSource, {
      eval: true,
      execArgv: [],
      workerData: { argon2Path, nice: hashingNice },
    });
    worker.on('message', (message: { result?: string | boolean; error?: string }) => {
      const pending = busy.get(worker);
      busy.delete(worker);
      worker.unref();
      if (message.error !== undefined) pending?.reject(new Error(message.error));
      else pending?.resolve(message.result as string | boolean);
      idle.push(worker);
      next();
    });
    worker.on('error', () => {});
    worker.on('exit', () => {
      // A crashed worker fails its job, not the others; a new one is started when needed.
      started -= 1;
      busy.get(worker)?.reject(new Error('password hashing worker stopped'));
      busy.delete(worker);
      const at = idle.indexOf(worker);
      if (at >= 0) idle.splice(at, 1);
      next();
    });
    started += 1;
    return worker;
  }

  function next(): void {
    while (queue.length > 0) {
      const worker = idle.pop() ?? (started < size ? spawn() : undefined);
      if (!worker) return;
      const pending = queue.shift() as Pending;
      busy.set(worker, pending);
      // Referenced only while hashing: a job in flight keeps the process alive (the CLI awaits
      // one), an idle thread never does. Adding the 'message' listener referenced it too.
      worker.ref();
      worker.postMessage(pending.job);
    }
  }

  function run<T extends string | boolean>(job: Job): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      queue.push({ job, resolve: resolve as (value: string | boolean) => void, reject });
      next();
    });
  }

  return {
    hash: (password: string, options: Argon2Options) => run<string>({ op: 'hash', password, options }),
    verify: (passwordHash: string, password: string) => run<boolean>({ op: 'verify', passwordHash, password }),
    async close(): Promise<void> {
      for (const pending of queue.splice(0)) pending.reject(new Error('password hashing stopped'));
      await Promise.all([...idle, ...busy.keys()].map((worker) => worker.terminate()));
    },
  };
}
