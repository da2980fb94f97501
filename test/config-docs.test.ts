import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { EnvironmentSchema } from '../src/config-schema.js';

interface Row {
  readonly name: string;
  readonly default: string;
  readonly meaning: string;
}

const noDefault = '—';

/** The rows of the first table under README's "## Configuration" heading, one variable per row. */
async function documentedRows(): Promise<Row[]> {
  const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8');
  const section = readme.split(/^## /m).find((part) => part.startsWith('Configuration\n')) ?? '';
  const lines = section.split('\n');
  const start = lines.findIndex((line) => line.startsWith('|'));
  const end = lines.findIndex((line, index) => index > start && !line.startsWith('|'));
  const [header, separator, ...body] = lines.slice(start, end === -1 ? undefined : end);
  expect(cells(header ?? '')).toEqual(['variable', 'default', 'meaning']);
  expect(separator).toMatch(/^\|(\s*:?-+:?\s*\|){3}$/);
  return body.map((line) => {
    const [variable = '', value = '', meaning = ''] = cells(line);
    return { name: /^`([A-Z0-9_]+)`$/.exec(variable)?.[1] ?? variable, default: value, meaning };
  });
}

function cells(line: string): string[] {
  return line
    .split('|')
    .slice(1, -1)
    .map((cell) => cell.trim());
}

/** The row README should have for each variable, from the schema's own annotations. */
function schemaRows(): Row[] {
  return Object.entries(EnvironmentSchema.properties).map(([name, schema]) => {
    const { default: value, description } = schema as { default?: string; description?: string };
    return { name, default: value === undefined ? noDefault : `\`${value}\``, meaning: description ?? '' };
  });
}

describe("README's configuration table", () => {
  it('names every environment variable exactly once, and nothing else', async () => {
    const documented = (await documentedRows()).map((row) => row.name);
    const duplicates = documented.filter((name, index) => documented.indexOf(name) !== index);
    expect(duplicates).toEqual([]);
    expect([...documented].sort()).toEqual(
      schemaRows()
        .map((row) => row.name)
        .sort(),
    );
  });

  it("gives each variable the schema's default and description", async () => {
    const byName = (rows: Row[]) => Object.fromEntries(rows.map((row) => [row.name, row]));
    expect(byName(await documentedRows())).toEqual(byName(schemaRows()));
  });

  it('is written from a description on every variable', () => {
    expect(schemaRows().filter((row) => row.meaning === '')).toEqual([]);
  });
});
