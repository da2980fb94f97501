import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The layering in /work/shared/STYLE.md ("module folders never import each other
// in both directions, and `http/` knows no module") is only real if something
// fails when it is broken. This file reads the import graph of src/ and checks it.

/** A path relative to src/, always with forward slashes, e.g. `modules/sessions/service.ts`. */
type SourcePath = string;
/** Importing file -> the src/ files it imports (relative imports only). */
type ImportMap = ReadonlyMap<SourcePath, readonly SourcePath[]>;
/** Which node of a graph a file belongs to; `null` leaves the file out of that graph. */
type NodeOf = (file: SourcePath) => string | null;
type ImportEvidence = { importer: SourcePath; imported: SourcePath };
/** Node -> node it depends on -> the file imports that create that edge. */
type DependencyGraph = ReadonlyMap<string, ReadonlyMap<string, readonly ImportEvidence[]>>;

const srcDirectory = fileURLToPath(new URL('../src/', import.meta.url));

// One pattern for the three shapes; `[^'";]*?` lets a named list span lines and
// covers `import type`/`export type`, while stopping at the statement's end so a
// match never borrows the specifier of a later statement.
const importPattern =
  /\b(?:import|export)\s+[^'";]*?\bfrom\s*['"]([^'"]+)['"]|\bimport\s*['"]([^'"]+)['"]|\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g;

// Only comments that start a line are removed: stripping `//` anywhere would cut
// strings such as 'http://…', and a commented-out import is rare but would
// otherwise report an edge that does not exist.
const wholeLineComment = /^\s*\/\/.*$/gm;
const leadingBlockComment = /^\s*\/\*[\s\S]*?\*\//gm;

function parseImportSpecifiers(sourceText: string): string[] {
  const code = sourceText.replace(leadingBlockComment, '').replace(wholeLineComment, '');
  return [...code.matchAll(importPattern)].map((match) => match[1] ?? match[2] ?? match[3] ?? '');
}

/** `null` for package imports and for paths that leave src/, which belong to no part. */
function resolveRelativeImport(
  importer: SourcePath,
  specifier: string,
  knownFiles: ReadonlySet<SourcePath>,
): SourcePath | null {
  if (!specifier.startsWith('.')) return null;
  const joined = path.posix.join(path.posix.dirname(importer), specifier);
  if (joined === '..' || joined.startsWith('../')) return null;
  // NodeNext makes us write `./x.js` for `./x.ts`; a bare folder means its index.
  const candidates = [joined.replace(/\.js$/, '.ts'), `${joined}.ts`, `${joined}/index.ts`];
  return candidates.find((candidate) => knownFiles.has(candidate)) ?? candidates[0] ?? joined;
}

function buildImportMap(sources: ReadonlyMap<SourcePath, string>): ImportMap {
  const knownFiles = new Set(sources.keys());
  const imports = new Map<SourcePath, SourcePath[]>();
  for (const [file, text] of sources) {
    const resolved = parseImportSpecifiers(text).map((specifier) => resolveRelativeImport(file, specifier, knownFiles));
    // `import type { A }` next to `import { b }` from one file is one dependency.
    imports.set(file, [...new Set(resolved.filter((target) => target !== null))]);
  }
  return imports;
}

function buildDependencyGraph(imports: ImportMap, nodeOf: NodeOf): DependencyGraph {
  const graph = new Map<string, Map<string, ImportEvidence[]>>();
  for (const [importer, targets] of imports) {
    const from = nodeOf(importer);
    if (from === null) continue;
    const edges = graph.get(from) ?? new Map<string, ImportEvidence[]>();
    graph.set(from, edges);
    for (const imported of targets) {
      const to = nodeOf(imported);
      if (to === null || to === from) continue;
      edges.set(to, [...(edges.get(to) ?? []), { importer, imported }]);
    }
  }
  return graph;
}

function successorsOf(graph: DependencyGraph, node: string): string[] {
  return [...(graph.get(node)?.keys() ?? [])].sort();
}

/** Tarjan's algorithm; a component with two or more nodes contains at least one cycle. */
function stronglyConnectedComponents(graph: DependencyGraph): string[][] {
  const indexOf = new Map<string, number>();
  const lowLink = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];

  function visit(node: string): void {
    indexOf.set(node, indexOf.size);
    lowLink.set(node, indexOf.size - 1);
    stack.push(node);
    onStack.add(node);
    for (const next of successorsOf(graph, node)) {
      if (!indexOf.has(next)) {
        visit(next);
        lowLink.set(node, Math.min(lowLink.get(node) ?? 0, lowLink.get(next) ?? 0));
      } else if (onStack.has(next)) {
        lowLink.set(node, Math.min(lowLink.get(node) ?? 0, indexOf.get(next) ?? 0));
      }
    }
    if (lowLink.get(node) !== indexOf.get(node)) return;
    const component: string[] = [];
    let member: string | undefined;
    do {
      member = stack.pop();
      if (member === undefined) break;
      onStack.delete(member);
      component.push(member);
    } while (member !== node);
    components.push(component.sort());
  }

  for (const node of [...graph.keys()].sort()) if (!indexOf.has(node)) visit(node);
  return components;
}

/** Breadth-first, so the reported cycle is the shortest one and easy to read. */
function shortestPath(graph: DependencyGraph, from: string, to: string, within: ReadonlySet<string>): string[] {
  const previous = new Map<string, string>([[from, from]]);
  const queue = [from];
  for (let node = queue.shift(); node !== undefined && node !== to; node = queue.shift()) {
    for (const next of successorsOf(graph, node)) {
      if (!within.has(next) || previous.has(next)) continue;
      previous.set(next, node);
      queue.push(next);
    }
  }
  const route = [to];
  while (route[0] !== from) route.unshift(previous.get(route[0] ?? from) ?? from);
  return route;
}

/** Rotated to start at the smallest name, so one cycle found from two edges is reported once. */
function canonicalCycle(cycle: readonly string[]): string[] {
  const start = cycle.indexOf([...cycle].sort()[0] ?? '');
  return [...cycle.slice(start), ...cycle.slice(0, start)];
}

/**
 * One cycle through every edge inside a strongly connected component: enough to
 * show each import that has to go, without enumerating every cycle there is.
 */
function findCycles(graph: DependencyGraph): string[][] {
  const cycles = new Map<string, string[]>();
  for (const component of stronglyConnectedComponents(graph)) {
    if (component.length < 2) continue;
    const members = new Set(component);
    for (const from of component) {
      for (const to of successorsOf(graph, from).filter((next) => members.has(next))) {
        const cycle = canonicalCycle([from, ...shortestPath(graph, to, from, members).slice(0, -1)]);
        cycles.set(cycle.join(' -> '), cycle);
      }
    }
  }
  return [...cycles.values()].sort((a, b) => a.length - b.length || a.join().localeCompare(b.join()));
}

function describeCycle(
  label: string,
  cycle: readonly string[],
  graph: DependencyGraph,
  display: (file: SourcePath) => string,
): string {
  const steps = cycle.map((from, position) => [from, cycle[(position + 1) % cycle.length] ?? from] as const);
  const evidence = steps.flatMap(([from, to]) => graph.get(from)?.get(to) ?? []);
  const describeImport = ({ importer, imported }: ImportEvidence) =>
    `  ${display(importer)} imports ${display(imported)}`;
  return [`${label} cycle: ${[...cycle, cycle[0]].join(' -> ')}`, ...evidence.map(describeImport)].join('\n');
}

function cycleViolations(
  label: string,
  imports: ImportMap,
  nodeOf: NodeOf,
  display: (file: SourcePath) => string,
): string[] {
  const graph = buildDependencyGraph(imports, nodeOf);
  return findCycles(graph).map((cycle) => describeCycle(label, cycle, graph, display));
}

// A file directly in a folder (src/app.ts, src/modules/index.ts) has no folder
// to belong to, so it stands for itself.
function firstSegment(relativePath: string): string {
  return relativePath.split('/')[0] ?? relativePath;
}

function topLevelPart(file: SourcePath): string {
  return firstSegment(file);
}

function moduleFolder(file: SourcePath): string | null {
  return file.startsWith('modules/') ? firstSegment(file.slice('modules/'.length)) : null;
}

function withoutModulesPrefix(file: SourcePath): string {
  return file.replace(/^modules\//, '');
}

function topLevelCycleViolations(imports: ImportMap): string[] {
  return cycleViolations('top-level', imports, topLevelPart, (file) => file);
}

function moduleCycleViolations(imports: ImportMap): string[] {
  return cycleViolations('modules', imports, moduleFolder, withoutModulesPrefix);
}

function httpToModuleViolations(imports: ImportMap): string[] {
  return [...imports]
    .filter(([importer]) => importer.startsWith('http/'))
    .flatMap(([importer, targets]) =>
      targets.filter((target) => target.startsWith('modules/')).map((target) => `${importer} imports ${target}`),
    )
    .map((line) => `http imports a module: ${line}`);
}

function isProductionSource(file: SourcePath): boolean {
  return (
    /\.tsx?$/.test(file) && !/\.test\.tsx?$/.test(file) && !file.endsWith('.d.ts') && !file.startsWith('db/migrations/')
  );
}

async function readProductionSources(): Promise<Map<SourcePath, string>> {
  const entries = await readdir(srcDirectory, { recursive: true });
  const files = entries
    .map((entry) => entry.split(path.sep).join('/'))
    .filter(isProductionSource)
    .sort();
  const texts = await Promise.all(files.map((file) => readFile(path.join(srcDirectory, file), 'utf8')));
  return new Map(files.map((file, position) => [file, texts[position] ?? '']));
}

function failWith(violations: readonly string[]): void {
  if (violations.length > 0) expect.fail(`\n${violations.join('\n\n')}\n`);
}

function importsOf(sources: Record<SourcePath, string>): ImportMap {
  return buildImportMap(new Map(Object.entries(sources)));
}

describe('architecture checker', () => {
  it('reads every import shape and resolves it to a file under src/', () => {
    const imports = importsOf({
      'http/plugin.ts': [
        "import { a,\n  b,\n} from '../platform/a.js';",
        "import type { C } from '../platform/c.js';",
        "export * from '../platform/d.js';",
        "export { e } from '../platform/folder';",
        "import '../platform/side-effect.js';",
        "const lazy = await import('../platform/lazy.js');",
        "import fastify from 'fastify';",
        "// import { gone } from '../platform/commented-out.js';",
        "const url = 'http://example.test/'; export const f = 'from';",
      ].join('\n'),
      'platform/folder/index.ts': '',
    });
    expect(imports.get('http/plugin.ts')).toEqual([
      'platform/a.ts',
      'platform/c.ts',
      'platform/d.ts',
      'platform/folder/index.ts',
      'platform/side-effect.ts',
      'platform/lazy.ts',
    ]);
  });

  it('reports a two-module cycle with the files behind each edge', () => {
    const imports = importsOf({
      'modules/sessions/service.ts': "import { x } from '../devices/repository.js';",
      'modules/devices/service.ts': "import type { Y } from '../sessions/repository.js';",
    });
    expect(moduleCycleViolations(imports)).toEqual([
      'modules cycle: devices -> sessions -> devices\n' +
        '  devices/service.ts imports sessions/repository.ts\n' +
        '  sessions/service.ts imports devices/repository.ts',
    ]);
  });

  it('reports a three-module cycle', () => {
    const imports = importsOf({
      'modules/a/service.ts': "import { b } from '../b/service.js';",
      'modules/b/service.ts': "import { c } from '../c/service.js';",
      'modules/c/service.ts': "import { a } from '../a/service.js';",
    });
    expect(moduleCycleViolations(imports)).toEqual([
      'modules cycle: a -> b -> c -> a\n' +
        '  a/service.ts imports b/service.ts\n' +
        '  b/service.ts imports c/service.ts\n' +
        '  c/service.ts imports a/service.ts',
    ]);
  });

  it('reports a top-level cycle between a folder and a file directly in src/', () => {
    const imports = importsOf({
      'config.ts': "import { p } from './platform/logger.js';",
      'platform/logger.ts': "import type { Config } from '../config.js';",
    });
    expect(topLevelCycleViolations(imports)).toEqual([
      'top-level cycle: config.ts -> platform -> config.ts\n' +
        '  config.ts imports platform/logger.ts\n' +
        '  platform/logger.ts imports config.ts',
    ]);
  });

  it('passes an acyclic graph, including imports inside one part', () => {
    const imports = importsOf({
      'app.ts': "import { h } from './http/plugin.js';\nimport { s } from './modules/sessions/routes.js';",
      'http/plugin.ts': "import { p } from '../platform/logger.js';",
      'modules/sessions/routes.ts': "import { s } from './service.js';\nimport { d } from '../devices/service.js';",
      'modules/sessions/service.ts': "import { p } from '../../platform/logger.js';",
      'modules/devices/service.ts': "import { p } from '../../platform/logger.js';",
      'platform/logger.ts': "import pino from 'pino';",
    });
    expect(topLevelCycleViolations(imports)).toEqual([]);
    expect(moduleCycleViolations(imports)).toEqual([]);
    expect(httpToModuleViolations(imports)).toEqual([]);
  });

  it('reports http/ importing a module', () => {
    const imports = importsOf({ 'http/auth.ts': "import { s } from '../modules/sessions/service.js';" });
    expect(httpToModuleViolations(imports)).toEqual([
      'http imports a module: http/auth.ts imports modules/sessions/service.ts',
    ]);
  });
});

describe('import graph of src/', async () => {
  const imports = buildImportMap(await readProductionSources());

  it('is read from the real tree', () => {
    // Guards against a checker that passes because it saw nothing.
    expect(imports.get('app.ts')?.length).toBeGreaterThan(0);
  });

  it('has no cycle between the top-level parts of src/', () => {
    failWith(topLevelCycleViolations(imports));
  });

  it('has no cycle between module folders', () => {
    failWith(moduleCycleViolations(imports));
  });

  it('keeps src/http/ free of imports from src/modules/', () => {
    failWith(httpToModuleViolations(imports));
  });
});
