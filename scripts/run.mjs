// `npm start` and `npm run cli`: build when the sources are newer than dist/, then run.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const entry = process.argv[2] === 'cli' ? 'cli.js' : 'main.js';

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

const built = join(root, 'dist', entry);
if (!existsSync(built) || statSync(built).mtimeMs < newestMtime(join(root, 'src'))) {
  const result = spawnSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}
process.argv.splice(2, process.argv[2] === 'cli' ? 1 : 0);
await import(built);
