// Raw argon2id verify throughput with the production parameters (m=19456 KiB,
// t=2, p=1) through @node-rs/argon2, the library the server uses, with the
// same libuv thread pool and enough verifications in flight to keep it busy.
// Prints one JSON line: verifications per second over the measured window.
import { performance } from 'node:perf_hooks';
import { hash, verify } from '@node-rs/argon2';

const duration = Number(process.env.BENCH_DURATION ?? 10) * 1000;
const warmup = Number(process.env.BENCH_WARMUP ?? 3) * 1000;
const concurrency = Number(process.env.BENCH_ARGON2_CONCURRENCY ?? 16);
const password = 'bench: correct horse battery staple 42';
const parameters = { algorithm: 2, memoryCost: 19_456, timeCost: 2, parallelism: 1 };

const cpuAtStart = process.cpuUsage();
const passwordHash = await hash(password, parameters);
const startedAt = performance.now();
let cpuAtWindow = null;
setTimeout(() => {
  cpuAtWindow = process.cpuUsage();
}, warmup);
const measureFrom = startedAt + warmup;
const measureUntil = measureFrom + duration;
let counted = 0;
const latencies = [];

async function worker() {
  while (performance.now() < measureUntil) {
    const before = performance.now();
    const ok = await verify(passwordHash, password);
    if (!ok) throw new Error('verify returned false');
    const after = performance.now();
    // Completions inside the window, like requests/s counts responses.
    if (after >= measureFrom && after <= measureUntil) {
      counted++;
      latencies.push(after - before);
    }
  }
}

await Promise.all(Array.from({ length: concurrency }, worker));
const windowCpu = process.cpuUsage(cpuAtWindow ?? cpuAtStart);
const lifetimeCpu = process.cpuUsage(cpuAtStart);
latencies.sort((a, b) => a - b);
const at = (q) =>
  Math.round((latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0) * 10) / 10;
console.log(
  JSON.stringify({
    verifiesPerSecond: Math.round((counted / (duration / 1000)) * 10) / 10,
    verifies: counted,
    concurrency,
    threadPool: Number(process.env.UV_THREADPOOL_SIZE ?? 4),
    p50Ms: at(0.5),
    p99Ms: at(0.99),
    parameters: { m: parameters.memoryCost, t: parameters.timeCost, p: parameters.parallelism },
    // Share of one core used by this process (all threads) while measuring, and its CPU seconds in all.
    cpuPct: Math.round(((windowCpu.user + windowCpu.system) / 1e6 / (duration / 1000)) * 100),
    cpuSeconds: Math.round(((lifetimeCpu.user + lifetimeCpu.system) / 1e6) * 100) / 100,
  }),
);
