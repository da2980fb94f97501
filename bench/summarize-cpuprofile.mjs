// Self time per function and per package from a V8 .cpuprofile
// (`node --cpu-prof`). Usage: node bench/summarize-cpuprofile.mjs <file> [top]
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

function shortUrl(url) {
  if (!url) return '';
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) return url.slice(modules + '/node_modules/'.length);
  const dist = url.indexOf('/dist/');
  if (dist >= 0) return url.slice(dist + 1);
  return url.replace(/^file:\/\//, '');
}

/** Where a frame's self time goes: a package, Gatehouse's own code, Node internals or V8. */
function categoryOf(frame) {
  const { url, functionName } = frame;
  if (!url) {
    if (functionName === '(garbage collector)') return 'V8: garbage collector';
    if (functionName === '(idle)') return '(idle)';
    if (functionName === '(program)') return 'V8/native: (program)';
    return 'native (no JS frame)';
  }
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) {
    const rest = url.slice(modules + '/node_modules/'.length).split('/');
    return rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1]}` : (rest[0] ?? url);
  }
  if (url.startsWith('node:')) {
    const parts = url.slice('node:'.length).split('/');
    return `node:${parts[0] === 'internal' ? `internal/${parts[1] ?? ''}` : parts[0]}`.replace(/\.js$/, '');
  }
  if (url.includes('/dist/')) return 'gatehouse (dist/)';
  return url;
}

export function summarizeProfile(profile, top = 25) {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfMicros = new Map();
  for (let index = 0; index < profile.samples.length; index++) {
    const id = profile.samples[index];
    selfMicros.set(id, (selfMicros.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0));
  }
  const functions = new Map();
  const categories = new Map();
  let total = 0;
  let idle = 0;
  for (const [id, micros] of selfMicros) {
    const frame = byId.get(id)?.callFrame;
    if (!frame) continue;
    total += micros;
    const category = categoryOf(frame);
    if (category === '(idle)') {
      idle += micros;
      continue;
    }
    const where = frame.url ? ` ${shortUrl(frame.url)}:${frame.lineNumber + 1}` : '';
    const key = `${frame.functionName || '(anonymous)'}${where}`;
    functions.set(key, (functions.get(key) ?? 0) + micros);
    categories.set(category, (categories.get(category) ?? 0) + micros);
  }
  const busy = total - idle;
  const rank = (map) =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([name, micros]) => ({
        name,
        ms: Math.round(micros / 1000),
        busyPct: Math.round((micros / busy) * 1000) / 10,
      }));
  return {
    sampledMs: Math.round(total / 1000),
    idlePct: Math.round((idle / total) * 1000) / 10,
    functions: rank(functions).slice(0, top),
    categories: rank(categories).slice(0, top),
  };
}

export function formatSummary(summary) {
  const lines = [
    `sampled ${summary.sampledMs} ms, idle ${summary.idlePct}% (percentages below are of the busy time)`,
    '',
    'self time by package / area:',
    ...summary.categories.map((c) => `  ${String(c.busyPct).padStart(5)}%  ${String(c.ms).padStart(6)} ms  ${c.name}`),
    '',
    'top functions by self time:',
    ...summary.functions.map((f) => `  ${String(f.busyPct).padStart(5)}%  ${String(f.ms).padStart(6)} ms  ${f.name}`),
  ];
  return lines.join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [file, top] = process.argv.slice(2);
  if (!file) {
    console.error('usage: node bench/summarize-cpuprofile.mjs <file.cpuprofile> [top]');
    process.exit(2);
  }
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  console.log(formatSummary(summarizeProfile(profile, Number(top ?? 25))));
}
