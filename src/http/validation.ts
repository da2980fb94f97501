import { createRequire } from 'node:module';
import { Ajv, type Options } from 'ajv';
import type { FastifyInstance } from 'fastify';

// Pragmatic address check (RFC 5322 is far looser than any mail system in use).
// Surrounding whitespace is tolerated because the service trims before use.
const emailPattern =
  /^[^\s@"(),:;<>[\\\]]+@[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/i;

export function isEmailAddress(value: string): boolean {
  const trimmed = value.trim();
  return trimmed.length <= 254 && emailPattern.test(trimmed);
}

// ajv-formats is CommonJS whose types do not describe its ESM default export.
const addFormats = createRequire(import.meta.url)('ajv-formats') as (ajv: Ajv, formats: string[]) => Ajv;

function createAjv(options: Options): Ajv {
  const ajv = new Ajv({
    // Unknown fields are rejected, not silently dropped: mass assignment fails loudly.
    removeAdditional: false,
    useDefaults: true,
    allErrors: false,
    strict: false,
    ...options,
  });
  addFormats(ajv, ['date-time', 'uuid', 'uri']);
  ajv.addFormat('email', { type: 'string', validate: isEmailAddress });
  return ajv;
}

/**
 * JSON bodies are validated without type coercion (a number is not a password);
 * path and query strings are coerced, because they arrive as text.
 */
export function registerValidation(app: FastifyInstance): void {
  const bodies = createAjv({ coerceTypes: false });
  const strings = createAjv({ coerceTypes: 'array' });
  app.setValidatorCompiler(({ schema, httpPart }) =>
    httpPart === 'body' ? bodies.compile(schema) : strings.compile(schema),
  );
}
