// The OpenID provider's scenarios: what a machine client and a resource server do most,
// a token by the client credentials grant and the introspection of a token.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { root } from './lib.mjs';

/** A confidential machine client, registered the way an operator would: `oidc-client create`. */
export function registerMachineClient(env) {
  const output = execFileSync(
    process.execPath,
    [
      join(root, 'dist', 'cli.js'),
      'oidc-client',
      'create',
      '--name',
      'Bench machine',
      '--type',
      'confidential',
      '--grant-type',
      'client_credentials',
      '--scope',
      'roles',
    ],
    { env, encoding: 'utf8' },
  );
  const field = (label) => new RegExp(`${label}:\\s+(\\S+)`).exec(output)?.[1];
  const clientId = field('client id');
  const clientSecret = field('client secret');
  if (!clientId || !clientSecret) throw new Error(`oidc-client create said: ${output}`);
  return { clientId, clientSecret, basic: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}` };
}

const form = (client, body) => ({
  method: 'POST',
  headers: { authorization: client.basic, 'content-type': 'application/x-www-form-urlencoded' },
  body,
});

/** POST /oidc/token, grant_type=client_credentials: client authentication, a token stored (hashed) per request. */
export function clientCredentialsOptions(url, client, connections) {
  return { url, connections, requests: [{ path: '/oidc/token', ...form(client, 'grant_type=client_credentials') }] };
}

export async function issueToken(url, client) {
  const response = await fetch(`${url}/oidc/token`, form(client, 'grant_type=client_credentials'));
  const body = await response.json();
  if (!body.access_token) throw new Error(`no token: ${JSON.stringify(body)}`);
  return body.access_token;
}

/** POST /oidc/token/introspection: what a resource server asks for each request it serves. */
export function introspectionOptions(url, client, token, connections) {
  return {
    url,
    connections,
    requests: [{ path: '/oidc/token/introspection', ...form(client, `token=${encodeURIComponent(token)}`) }],
  };
}
