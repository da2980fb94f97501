import { parseArgs } from 'node:util';
import { Value } from 'typebox/value';
import type { ClientInput, ClientView } from './clients.js';
import { ClientBodySchema } from './schemas.js';

// The operator's side of the OpenID provider (`npm run cli -- oidc-client …`, `oidc-keys rotate`):
// arguments in, text out. src/cli.ts runs them over the services the admin API calls, so a client
// registered here passes the same schema and the same rules as one registered over HTTP.

export const createClientUsage =
  '--name N --type public|confidential --redirect-uri U [--redirect-uri U2 ...] [--post-logout-redirect-uri U] ' +
  '[--grant-type G ...] [--scope S ...] [--first-party] [--id-token-signing-alg RS256|EdDSA]';

/** The body the admin API would receive, refused with the API's field name when its schema refuses it. */
export function clientInputFromArgs(args: string[]): ClientInput {
  const { values } = parseArgs({
    args,
    options: {
      name: { type: 'string' },
      type: { type: 'string' },
      'redirect-uri': { type: 'string', multiple: true },
      'post-logout-redirect-uri': { type: 'string', multiple: true },
      'grant-type': { type: 'string', multiple: true },
      scope: { type: 'string', multiple: true },
      'first-party': { type: 'boolean' },
      'id-token-signing-alg': { type: 'string' },
    },
  });
  if (values.name === undefined || values.type === undefined) {
    throw new Error(`usage: oidc-client create ${createClientUsage}`);
  }
  const input = {
    name: values.name,
    type: values.type,
    redirectUris: values['redirect-uri'] ?? [],
    // Absent flags stay absent: the service's defaults (code + refresh grants, every scope) apply.
    ...(values['post-logout-redirect-uri'] && { postLogoutRedirectUris: values['post-logout-redirect-uri'] }),
    ...(values['grant-type'] && { grantTypes: values['grant-type'] }),
    ...(values.scope && { scopes: values.scope }),
    ...(values['first-party'] && { firstParty: true }),
    ...(values['id-token-signing-alg'] && { idTokenSigningAlg: values['id-token-signing-alg'] }),
  };
  const errors = [...Value.Errors(ClientBodySchema, input)];
  const [first] = errors;
  if (first) {
    const path = first.instancePath.split('/').slice(1);
    // A value outside a list of literals comes as one `const` error per allowed value.
    const allowed = errors
      .filter((error) => error.instancePath === first.instancePath)
      .flatMap((error) => ('allowedValue' in error.params ? [String(error.params.allowedValue)] : []));
    const given = path.reduce<unknown>((value, key) => (value as Record<string, unknown>)[key], input);
    const why = allowed.length > 0 ? `"${given}" is not one of ${allowed.join(', ')}` : first.message;
    throw new Error(`${path[0]}: ${why}`);
  }
  return input as ClientInput;
}

export function clientIdFromArgs(args: string[]): string {
  const { positionals } = parseArgs({ args, allowPositionals: true });
  const [clientId] = positionals;
  if (!clientId || positionals.length !== 1) throw new Error('usage: oidc-client delete <clientId>');
  return clientId;
}

export function createdClientText({ client, clientSecret }: { client: ClientView; clientSecret?: string }): string {
  const lines = [`${client.type} client ${JSON.stringify(client.name)} created`, `client id:     ${client.clientId}`];
  if (clientSecret) {
    lines.push(
      `client secret: ${clientSecret}`,
      'The secret is shown only this once: store it now. Gatehouse keeps only its hash.',
    );
  }
  return lines.join('\n');
}

/** One line per client; the name is quoted, so a space or a line break in it cannot shift the columns. */
export function clientListText(clients: ClientView[]): string {
  if (clients.length === 0) return 'no OpenID clients';
  return clients
    .map((client) =>
      [
        client.clientId,
        client.type.padEnd(12),
        JSON.stringify(client.name),
        client.redirectUris.join(' ') || '(no redirect URIs)',
      ].join('  '),
    )
    .join('\n');
}

/** What the rotation means for tokens in flight (see OpenIdService: key retention and the key check). */
export function rotatedKeysText(kids: string[]): string {
  return [
    `new OpenID signing keys: ${kids.join(', ')}`,
    'The retired keys stay published for an hour, so tokens they signed still verify;',
    'running instances pick the new keys up within a minute.',
  ].join('\n');
}
