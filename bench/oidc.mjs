// The OpenID provider's scenarios: what a machine client and a resource server do most (a token by
// the client credentials grant, the introspection of a token) and what an app's sign-ins cost (the
// authorization request, the code exchange, the refresh grant).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { cannon, root, settings } from './lib.mjs';

/** A client registered the way an operator would: `oidc-client create`, its id and secret read from the output. */
function registerClient(env, args) {
  const output = execFileSync(process.execPath, [join(root, 'dist', 'cli.js'), 'oidc-client', 'create', ...args], {
    env,
    encoding: 'utf8',
  });
  const field = (label) => new RegExp(`${label}:\\s+(\\S+)`).exec(output)?.[1];
  const clientId = field('client id');
  const clientSecret = field('client secret');
  if (!clientId || !clientSecret) throw new Error(`oidc-client create said: ${output}`);
  return { clientId, clientSecret, basic: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}` };
}

/** A confidential machine client: client credentials only. */
export function registerMachineClient(env) {
  return registerClient(env, [
    '--name',
    'Bench machine',
    '--type',
    'confidential',
    '--grant-type',
    'client_credentials',
    '--scope',
    'roles',
  ]);
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

// ---------------------------------------------------------------------------
// An app's sign-ins: the authorization code flow with PKCE, then its refresh tokens

const appRedirectUri = 'http://127.0.0.1:9/callback';
// One verifier for the whole run: the server hashes it per exchange just the same.
const codeVerifier = 'bench-code-verifier-0123456789-abcdefghijklmnopqrstuvwxyz';
const codeChallenge = createHash('sha256').update(codeVerifier).digest('base64url');

/**
 * A first-party web app (code + refresh grants, every scope), registered with `oidc-client create`;
 * its ID tokens signed with `alg` (RS256 by default, as most apps are).
 */
export function registerAppClient(env, alg = 'RS256') {
  return registerClient(env, [
    ...['--name', `Bench app ${alg}`, '--type', 'confidential', '--redirect-uri', appRedirectUri],
    ...['--first-party', '--id-token-signing-alg', alg],
  ]);
}

/** The app's authorization request, as openid-client builds it (no nonce: the bench reads no ID token). */
export function authorizePath(app) {
  const query = new URLSearchParams({
    client_id: app.clientId,
    redirect_uri: appRedirectUri,
    response_type: 'code',
    scope: 'openid email',
    code_challenge: codeChallenge,
    code_challenge_method: 'S256',
    state: 'bench',
  });
  return `/oidc/auth?${query}`;
}

const codeIn = (location) => (location?.startsWith(appRedirectUri) ? new URL(location).searchParams.get('code') : null);

/**
 * Takes a browser signed in to Gatehouse (its cookies) through the app's sign-in once, as a person's
 * browser would follow it (redirects and `Refresh: 0;url=` pages), and returns its cookies with the
 * provider's session: from then on each authorization request answers with a code straight away.
 */
export async function browserAtApp(base, cookie, app) {
  const jar = new Map(cookie.split('; ').map((pair) => pair.split('=', 2)));
  let path = authorizePath(app);
  for (let hop = 0; hop < 10; hop++) {
    const response = await fetch(`${base}${path}`, {
      redirect: 'manual',
      headers: { cookie: [...jar].map(([name, value]) => `${name}=${value}`).join('; ') },
    });
    for (const line of response.headers.getSetCookie()) {
      const [name, value] = line.split(';')[0].split('=', 2);
      jar.set(name, value);
    }
    await response.arrayBuffer();
    const next = response.headers.get('location') ?? response.headers.get('refresh')?.replace(/^0;url=/, '');
    if (codeIn(next)) return [...jar].map(([name, value]) => `${name}=${value}`).join('; ');
    if (!next) throw new Error(`the sign-in at the app stopped at ${path} (${response.status})`);
    const url = new URL(next, base);
    path = `${url.pathname}${url.search}`;
  }
  throw new Error('the sign-in at the app did not come back with a code');
}

/**
 * GET /oidc/auth by browsers with a provider session (SSO): each answer is a redirect to the app with
 * a code. Counts codes, not 2xx (the answer is a 303), and hands each code to `onCode`.
 */
export function authorizeOptions(url, app, browsers, stats, onCode = () => {}) {
  let next = 0;
  return {
    url,
    connections: settings.connections,
    requests: [
      {
        method: 'GET',
        path: authorizePath(app),
        setupRequest(request) {
          return { ...request, headers: { cookie: browsers[next++ % browsers.length] } };
        },
        onResponse(_status, _body, _context, headers) {
          // autocannon passes the raw header names: oidc-provider (Koa) writes `Location`.
          const code = codeIn(headers.location ?? headers.Location);
          if (code) {
            stats.codes++;
            onCode(code);
          } else stats.other++;
        },
      },
    ],
  };
}

/**
 * POST /oidc/token, grant_type=authorization_code: each code of `pool` redeemed once with its PKCE
 * verifier. A code lives 60 s, so the pool is made right before; the run sends exactly one request
 * per code (autocannon's `amount`) and ends early when they are spent. Its rate is taken from its
 * own clock (first request to last answer), as autocannon rounds a run's end up to its next tick.
 */
export function codeExchangeOptions(url, app, pool, refreshTokens) {
  const stats = { startedAt: 0, answeredAt: 0, exchanged: 0 };
  return {
    url,
    connections: settings.connections,
    run(duration) {
      stats.startedAt = performance.now();
      const tracker = cannon({
        url,
        connections: settings.connections,
        amount: pool.length,
        requests: [
          {
            ...form(app, ''),
            path: '/oidc/token',
            setupRequest(request) {
              const body = `grant_type=authorization_code&code=${pool.pop()}&redirect_uri=${encodeURIComponent(appRedirectUri)}&code_verifier=${codeVerifier}`;
              return { ...request, body };
            },
            onResponse(status, body) {
              stats.answeredAt = performance.now();
              if (status !== 200) return;
              stats.exchanged++;
              refreshTokens.push(JSON.parse(body).refresh_token);
            },
          },
        ],
      });
      const timer = setTimeout(() => tracker.stop(), duration * 1000);
      return tracker.then((result) => {
        clearTimeout(timer);
        return { result };
      });
    },
    collect: () => {
      const seconds = (stats.answeredAt - stats.startedAt) / 1000;
      return {
        seconds: Math.round(seconds * 10) / 10,
        requestsPerSecond: Math.round(stats.exchanged / seconds),
        codesLeft: pool.length,
      };
    },
  };
}

/** POST /oidc/token, grant_type=refresh_token: chains of rotated refresh tokens, as refreshOptions. */
export function refreshGrantOptions(url, app, chains, stats) {
  return {
    url,
    connections: settings.connections,
    requests: [
      {
        ...form(app, ''),
        path: '/oidc/token',
        setupRequest(request) {
          return { ...request, body: `grant_type=refresh_token&refresh_token=${chains.pop()}` };
        },
        onResponse(status, body) {
          if (status === 200) chains.push(JSON.parse(body).refresh_token);
          else stats.refused++;
        },
      },
    ],
  };
}

/** Codes for the exchange: authorization requests for `seconds`, each code pushed onto `pool`. */
export async function fillCodePool(url, app, browsers, pool, seconds) {
  pool.length = 0;
  const stats = { codes: 0, other: 0 };
  await cannon({ ...authorizeOptions(url, app, browsers, stats, (code) => pool.push(code)), duration: seconds });
  if (stats.other > 0) throw new Error(`${stats.other} authorization requests came back without a code`);
}
