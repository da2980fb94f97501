import { createHash } from 'node:crypto';
import { and, asc, like, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, createVerifiedUser, del, expectError, get, post, type TestApp } from '../../../test/helpers.js';
import { auditEvents } from '../../db/schema.js';
import { createRoleRepository } from '../roles/repository.js';
import { createOidcRepository } from './repository.js';

// The admin API for the OpenID provider's clients, end to end as a SUPER_ADMIN: what it answers,
// what it stores (a hash, never the secret), what it refuses, and what an app can still do afterwards.

const clientsUrl = '/admin/oidc/clients';
const webApp = { name: 'Orders', type: 'confidential', redirectUris: ['https://orders.example.com/cb'] };
const machine = { name: 'Nightly export', type: 'confidential', redirectUris: [], grantTypes: ['client_credentials'] };

let test: TestApp;
let superAdmin: Awaited<ReturnType<typeof createVerifiedUser>>;

beforeAll(async () => {
  test = await buildTestApp();
  superAdmin = await createVerifiedUser(test);
  await createRoleRepository(test.db).insertUserRole(superAdmin.userId, 'SUPER_ADMIN', new Date());
});
afterAll(() => test.close());

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const storedClient = (clientId: string) => createOidcRepository(test.db).findClient(clientId);
const clientCount = async () => (await get(test.app, clientsUrl, superAdmin.accessToken)).json().clients.length;

function patch(url: string, payload: unknown) {
  return test.app.inject({
    method: 'PATCH',
    url,
    payload: payload as Record<string, unknown>,
    headers: { authorization: `Bearer ${superAdmin.accessToken}` },
  });
}

async function register(body: Record<string, unknown>) {
  const response = await post(test.app, clientsUrl, body, superAdmin.accessToken);
  expect(response.statusCode, response.body).toBe(201);
  return response.json() as { client: { clientId: string } & Record<string, unknown>; clientSecret?: string };
}

/** What a machine client does: the client credentials grant, authenticated with HTTP Basic. */
function tokenFor(clientId: string, secret: string) {
  const credentials = Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64');
  return test.app.inject({
    method: 'POST',
    url: '/oidc/token',
    headers: { authorization: `Basic ${credentials}`, 'content-type': 'application/x-www-form-urlencoded' },
    payload: 'grant_type=client_credentials',
  });
}

async function expectTokenRefused(clientId: string, secret: string) {
  const response = await tokenFor(clientId, secret);
  expect(response.statusCode).toBe(401);
  expect(response.json().error).toBe('invalid_client');
}

describe('registering a client', () => {
  it("answers 201 with a confidential client and its secret, once; only the secret's SHA-256 is stored", async () => {
    const { client, clientSecret } = await register(webApp);
    expect(client).toEqual({
      clientId: expect.stringMatching(/^[A-Za-z0-9_-]{16,}$/),
      name: 'Orders',
      type: 'confidential',
      redirectUris: ['https://orders.example.com/cb'],
      postLogoutRedirectUris: [],
      grantTypes: ['authorization_code', 'refresh_token'],
      scopes: ['openid', 'profile', 'email', 'phone', 'offline_access', 'roles'],
      firstParty: false,
      idTokenSigningAlg: 'RS256',
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    expect(clientSecret).toMatch(/^[A-Za-z0-9_-]{32,}$/);
    const row = await storedClient(client.clientId);
    expect(row?.secretHash).toBe(sha256(clientSecret as string));
    expect(JSON.stringify(row)).not.toContain(clientSecret);
  });

  it('gives a public client no secret, and stores none', async () => {
    const response = await post(
      test.app,
      clientsUrl,
      { name: 'Phone app', type: 'public', redirectUris: ['com.example.app:/callback'] },
      superAdmin.accessToken,
    );
    expect(response.statusCode).toBe(201);
    const body = response.json();
    expect(Object.keys(body)).toEqual(['client']);
    expect(body.client).toMatchObject({ type: 'public', redirectUris: ['com.example.app:/callback'] });
    expect((await storedClient(body.client.clientId))?.secretHash).toBeNull();
  });

  it('is for a SUPER_ADMIN: a USER is 403, no token is 401, and neither registers anything', async () => {
    const before = await clientCount();
    const user = await createVerifiedUser(test);
    expectError(await post(test.app, clientsUrl, webApp, user.accessToken), 403, 'FORBIDDEN');
    expectError(await get(test.app, clientsUrl, user.accessToken), 403, 'FORBIDDEN');
    expectError(await post(test.app, clientsUrl, webApp), 401, 'UNAUTHORIZED');
    expect(await clientCount()).toBe(before);
  });
});

describe('reading clients', () => {
  it('never shows a secret or its hash, in the list or one by one', async () => {
    const { client, clientSecret } = await register({ ...webApp, name: 'Read back' });
    const hash = sha256(clientSecret as string);
    const list = await get(test.app, clientsUrl, superAdmin.accessToken);
    const one = await get(test.app, `${clientsUrl}/${client.clientId}`, superAdmin.accessToken);
    expect(list.statusCode).toBe(200);
    expect(one.statusCode).toBe(200);
    expect(list.json().clients).toContainEqual(client);
    expect(one.json()).toEqual({ client });
    for (const response of [list, one]) {
      expect(response.body).not.toContain(clientSecret);
      expect(response.body).not.toContain(hash);
    }
    const fields = list.json().clients.flatMap((each: object) => Object.keys(each));
    expect(fields.filter((field: string) => /secret|hash/i.test(field))).toEqual([]);
    // The service's view too, with no response schema to filter it: the CLI prints it as it is.
    expect(JSON.stringify(await test.services.oidcClients.list())).not.toContain(hash);
  });

  it('answers 404 CLIENT_NOT_FOUND for an unknown client', async () => {
    expectError(await get(test.app, `${clientsUrl}/nowhere`, superAdmin.accessToken), 404, 'CLIENT_NOT_FOUND');
  });
});

describe('changing a client', () => {
  it('changes its name and redirect URIs; GET shows the change', async () => {
    const { client } = await register(webApp);
    const url = `${clientsUrl}/${client.clientId}`;
    const changes = { name: 'Orders (new)', redirectUris: ['https://orders.example.com/v2/cb'] };
    const changed = await patch(url, changes);
    expect(changed.statusCode).toBe(200);
    expect(changed.json().client).toMatchObject({ ...changes, type: 'confidential', grantTypes: client.grantTypes });
    expect((await get(test.app, url, superAdmin.accessToken)).json().client).toMatchObject(changes);
  });

  it('refuses an empty change, a change of type, and one that breaks a rule, with 400 VALIDATION_FAILED', async () => {
    const { client } = await register(webApp);
    const url = `${clientsUrl}/${client.clientId}`;
    expectError(await patch(url, {}), 400, 'VALIDATION_FAILED');
    const typeChange = await patch(url, { type: 'public' });
    expectError(typeChange, 400, 'VALIDATION_FAILED');
    expect(typeChange.json().message).toMatch(/type|additional/);
    // The service's rules hold for the client as it would be after the change.
    const broken = await patch(url, { grantTypes: ['refresh_token'] });
    expectError(broken, 400, 'VALIDATION_FAILED');
    expect(broken.json().message).toMatch(/^grantTypes: refresh_token/);
    expect((await get(test.app, url, superAdmin.accessToken)).json().client).toEqual(client);
  });

  it('answers 404 CLIENT_NOT_FOUND for an unknown client', async () => {
    expectError(await patch(`${clientsUrl}/nowhere`, { name: 'Nowhere' }), 404, 'CLIENT_NOT_FOUND');
  });
});

describe("a confidential client's secret", () => {
  it('is replaced by a new one shown once: the new one gets tokens, the old one is invalid_client', async () => {
    const { client, clientSecret: oldSecret } = await register(machine);
    expect((await tokenFor(client.clientId, oldSecret as string)).statusCode).toBe(200);

    const rotated = await post(test.app, `${clientsUrl}/${client.clientId}/secret`, undefined, superAdmin.accessToken);
    expect(rotated.statusCode).toBe(200);
    const newSecret = rotated.json().clientSecret as string;
    expect(newSecret).toMatch(/^[A-Za-z0-9_-]{32,}$/);
    expect(newSecret).not.toBe(oldSecret);
    expect(rotated.json().client.clientId).toBe(client.clientId);
    expect((await storedClient(client.clientId))?.secretHash).toBe(sha256(newSecret));

    const issued = await tokenFor(client.clientId, newSecret);
    expect(issued.statusCode).toBe(200);
    expect(issued.json()).toMatchObject({ access_token: expect.any(String), token_type: 'Bearer' });
    await expectTokenRefused(client.clientId, oldSecret as string);
  });

  it('does not exist for a public client: 409 CLIENT_NOT_CONFIDENTIAL', async () => {
    const { client } = await register({ name: 'Phone app', type: 'public', redirectUris: ['com.example.app:/cb'] });
    const response = await post(test.app, `${clientsUrl}/${client.clientId}/secret`, undefined, superAdmin.accessToken);
    expectError(response, 409, 'CLIENT_NOT_CONFIDENTIAL');
    expect((await storedClient(client.clientId))?.secretHash).toBeNull();
  });
});

describe('removing a client', () => {
  it('answers 200; then the client is 404 CLIENT_NOT_FOUND and can no longer get tokens', async () => {
    const { client, clientSecret } = await register(machine);
    expect((await tokenFor(client.clientId, clientSecret as string)).statusCode).toBe(200);
    const url = `${clientsUrl}/${client.clientId}`;

    const removed = await del(test.app, url, superAdmin.accessToken);
    expect(removed.statusCode).toBe(200);
    expectError(await get(test.app, url, superAdmin.accessToken), 404, 'CLIENT_NOT_FOUND');
    await expectTokenRefused(client.clientId, clientSecret as string);
    expectError(await del(test.app, url, superAdmin.accessToken), 404, 'CLIENT_NOT_FOUND');
  });
});

describe('what a client may be registered with', () => {
  const refusals: Array<[string, Record<string, unknown>, RegExp]> = [
    [
      'a wildcard redirect URI',
      { redirectUris: ['https://orders.example.com/*'] },
      /^redirectUris: wildcards are not allowed/,
    ],
    [
      'a redirect URI with a fragment',
      { redirectUris: ['https://orders.example.com/cb#top'] },
      /^redirectUris: an address must not have a fragment$/,
    ],
    [
      'http off loopback',
      { redirectUris: ['http://orders.example.com/cb'] },
      /^redirectUris: http is allowed only for loopback addresses/,
    ],
    [
      'http off loopback after sign-out',
      { postLogoutRedirectUris: ['http://orders.example.com/'] },
      /^postLogoutRedirectUris: http is allowed only for loopback addresses/,
    ],
    [
      'a javascript: URI, even for a public client',
      { type: 'public', redirectUris: ['javascript:alert(1)'] },
      /^redirectUris: the scheme of "javascript:alert\(1\)" is not allowed$/,
    ],
    [
      'a native app scheme on a confidential client',
      { redirectUris: ['com.example.app:/cb'] },
      /^redirectUris: a private-use scheme .* needs a public client$/,
    ],
    [
      'client_credentials on a public client',
      { ...machine, type: 'public' },
      /^grantTypes: client_credentials needs a confidential client$/,
    ],
    [
      'refresh_token without authorization_code',
      { grantTypes: ['refresh_token'] },
      /^grantTypes: refresh_token comes with authorization_code$/,
    ],
    [
      'authorization_code with no redirect URI',
      { redirectUris: [] },
      /^redirectUris: authorization_code needs at least one$/,
    ],
    ['scopes without openid for sign-in', { scopes: ['email', 'profile'] }, /^scopes must include openid/],
    ['an unknown scope', { scopes: ['openid', 'admin'] }, /^Invalid input: body\/scopes\/1 /],
    ['an unknown grant type', { grantTypes: ['implicit'] }, /^Invalid input: body\/grantTypes\/0 /],
    ['an empty name', { name: '' }, /^Invalid input: body\/name must NOT have fewer than 1 characters$/],
    ['a blank name', { name: '   ' }, /^name must not be empty$/],
    [
      'a name of 101 characters',
      { name: 'n'.repeat(101) },
      /^Invalid input: body\/name must NOT have more than 100 characters$/,
    ],
    [
      '21 redirect URIs',
      { redirectUris: Array.from({ length: 21 }, (_, index) => `https://orders.example.com/cb/${index}`) },
      /^Invalid input: body\/redirectUris must NOT have more than 20 items$/,
    ],
  ];

  it.each(refusals)(
    'refuses %s: 400 VALIDATION_FAILED naming the field, nothing stored',
    async (_case, change, field) => {
      const before = await clientCount();
      const response = await post(test.app, clientsUrl, { ...webApp, ...change }, superAdmin.accessToken);
      expectError(response, 400, 'VALIDATION_FAILED');
      expect(response.json().message).toMatch(field);
      expect(await clientCount()).toBe(before);
    },
  );

  it('accepts a native app scheme and a loopback http address for a public client', async () => {
    const { client } = await register({
      name: 'Desktop app',
      type: 'public',
      redirectUris: ['com.example.app:/cb', 'http://127.0.0.1:7000/cb', 'http://localhost/cb', 'http://[::1]/cb'],
    });
    expect(client.redirectUris).toHaveLength(4);
  });
});

describe('the audit trail', () => {
  it('records creation, change, new secret and removal with the SUPER_ADMIN as actor', async () => {
    const { client, clientSecret } = await register(webApp);
    const url = `${clientsUrl}/${client.clientId}`;
    expect((await patch(url, { name: 'Orders (renamed)' })).statusCode).toBe(200);
    const rotated = await post(test.app, `${url}/secret`, undefined, superAdmin.accessToken);
    expect(rotated.statusCode).toBe(200);
    expect((await del(test.app, url, superAdmin.accessToken)).statusCode).toBe(200);

    const events = await test.db
      .select()
      .from(auditEvents)
      .where(
        and(like(auditEvents.action, 'oidc_client.%'), sql`${auditEvents.details}->>'clientId' = ${client.clientId}`),
      )
      .orderBy(asc(auditEvents.id));
    expect(events.map((event) => event.action)).toEqual([
      'oidc_client.created',
      'oidc_client.updated',
      'oidc_client.secret_rotated',
      'oidc_client.deleted',
    ]);
    for (const event of events) expect(event).toMatchObject({ actorUserId: superAdmin.userId, ipAddress: '127.0.0.1' });
    expect(events[1]?.details).toMatchObject({ fields: ['name'] });
    // The trail names the client, never a secret or its hash.
    for (const secret of [clientSecret as string, rotated.json().clientSecret as string]) {
      expect(JSON.stringify(events)).not.toContain(secret);
      expect(JSON.stringify(events)).not.toContain(sha256(secret));
    }
  });
});
