import { readFile } from 'node:fs/promises';
import { STATUS_CODES } from 'node:http';
import { describe, expect, it } from 'vitest';
import { AppError, errorCatalogue, reasonPhrase } from './errors.js';

describe('error catalogue', () => {
  it('is documented in docs/errors.md, code for code and status for status', async () => {
    const doc = await readFile(new URL('../docs/errors.md', import.meta.url), 'utf8');
    const documented = Object.fromEntries(
      [...doc.matchAll(/^\|\s*`([A-Z_]+)`\s*\|\s*(\d{3})\s*\|/gm)].map((match) => [match[1], Number(match[2])]),
    );
    const catalogued = Object.fromEntries(
      Object.entries(errorCatalogue).map(([code, entry]) => [code, entry.statusCode]),
    );
    expect(documented).toEqual(catalogued);
  });

  it('answers each status with its standard reason phrase in the `error` field', () => {
    for (const { statusCode } of Object.values(errorCatalogue)) {
      expect(STATUS_CODES[statusCode]).toBeTruthy();
      expect(reasonPhrase(statusCode)).toBe(STATUS_CODES[statusCode]);
    }
    expect(reasonPhrase(414)).toBe('URI Too Long');
  });

  it('builds errors only from catalogue entries', () => {
    const error = new AppError('ACCOUNT_LOCKED', { retryAfterSeconds: 60 });
    expect(error).toMatchObject({ code: 'ACCOUNT_LOCKED', statusCode: 423, retryAfterSeconds: 60 });
    expect(error.message).toBe(errorCatalogue.ACCOUNT_LOCKED.message);
  });
});
