import { randomUUID } from 'node:crypto';
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRoleRepository } from '../src/modules/roles/repository.js';
import { buildTestApp, createVerifiedUser, strongPassword, type TestApp, uniqueEmail } from './helpers.js';

/**
 * Every route of the application, with the status each kind of caller gets.
 * A route added without an entry here fails the suite: access rules are
 * decided on purpose, never by omission.
 */
type Caller = 'anonymous' | 'USER' | 'ADMIN' | 'SUPER_ADMIN';
const callers: Caller[] = ['anonymous', 'USER', 'ADMIN', 'SUPER_ADMIN'];

interface Context {
  victimId: number;
  callerSessionId: string;
}

interface Protected {
  request: (context: Context) => Omit<InjectOptions, 'method' | 'url' | 'headers'> & { url: string };
  /** Statuses for anonymous, USER, ADMIN, SUPER_ADMIN. */
  expected: [number, number, number, number];
}

const publicRoutes = new Set([
  'POST /auth/register',
  'POST /auth/signup',
  'POST /auth/verify-email',
  'POST /auth/email/verify',
  'POST /auth/resend-otp',
  'POST /auth/email/send-verification',
  'POST /auth/login',
  'POST /auth/refresh',
  'POST /auth/token/refresh',
  'POST /auth/password/reset-request',
  'POST /auth/password/reset',
  // Public with an mfaToken; with a bearer token it confirms enrollment (covered in its own tests).
  'POST /auth/2fa/verify',
  // Public except purpose verify_phone, which authenticates inside (covered in its own tests).
  'POST /auth/otp/send',
  'POST /auth/otp/verify',
  // Signing in with a passkey needs no account yet; the answer is the proof.
  'POST /auth/passkeys/login/options',
  'POST /auth/passkeys/login/verify',
  // Federated sign-in: the provider's answer (or the app's one-time code) is the proof.
  'GET /auth/providers',
  'POST /auth/oauth/exchange',
  'POST /auth/oauth/:provider/token',
  'GET /health',
  'GET /ready',
  'GET /.well-known/jwks.json',
]);

const own = [401, 200, 200, 200] as [number, number, number, number];
const adminOnly = [401, 403, 200, 200] as [number, number, number, number];
const superAdminOnly = [401, 403, 403, 200] as [number, number, number, number];

const protectedRoutes: Record<string, Protected> = {
  'GET /auth/profile': { request: () => ({ url: '/auth/profile' }), expected: own },
  'GET /users/me': { request: () => ({ url: '/users/me' }), expected: own },
  'PUT /users/me': { request: () => ({ url: '/users/me', payload: { firstName: 'Renamed' } }), expected: own },
  'GET /auth/sessions': { request: () => ({ url: '/auth/sessions' }), expected: own },
  'DELETE /auth/sessions/:sessionId': {
    request: ({ callerSessionId }) => ({ url: `/auth/sessions/${callerSessionId}` }),
    expected: own,
  },
  'DELETE /auth/sessions': { request: () => ({ url: '/auth/sessions' }), expected: own },
  'POST /auth/logout': { request: () => ({ url: '/auth/logout' }), expected: own },
  'POST /auth/password/change': {
    request: () => ({
      url: '/auth/password/change',
      payload: { currentPassword: strongPassword, newPassword: 'a different long passphrase' },
    }),
    expected: own,
  },
  'POST /auth/2fa/enable': {
    request: () => ({ url: '/auth/2fa/enable', payload: { method: 'totp', password: strongPassword } }),
    expected: own,
  },
  // Signed-in callers without 2FA reach the rule, not the permission check.
  'POST /auth/2fa/disable': {
    request: () => ({ url: '/auth/2fa/disable', payload: { password: strongPassword, code: '123456' } }),
    expected: [401, 400, 400, 400],
  },
  'POST /auth/2fa/recovery-codes': {
    request: () => ({ url: '/auth/2fa/recovery-codes', payload: { password: strongPassword } }),
    expected: [401, 400, 400, 400],
  },
  'POST /auth/fingerprint': {
    request: () => ({ url: '/auth/fingerprint', payload: { fingerprint: 'fp-0123456789' } }),
    expected: own,
  },
  'GET /auth/logins': { request: () => ({ url: '/auth/logins' }), expected: own },
  'POST /auth/passkeys/register/options': {
    request: () => ({ url: '/auth/passkeys/register/options' }),
    expected: own,
  },
  // Nothing registered: signed-in callers reach the verifier, which finds no challenge of theirs.
  'POST /auth/passkeys/register/verify': {
    request: () => ({
      url: '/auth/passkeys/register/verify',
      payload: {
        response: {
          id: 'AAAA',
          rawId: 'AAAA',
          type: 'public-key',
          clientExtensionResults: {},
          response: { clientDataJSON: 'e30', attestationObject: 'oA' },
        },
      },
    }),
    expected: [401, 400, 400, 400],
  },
  'GET /auth/passkeys': { request: () => ({ url: '/auth/passkeys' }), expected: own },
  'PATCH /auth/passkeys/:id': {
    request: () => ({ url: `/auth/passkeys/${randomUUID()}`, payload: { name: 'Phone' } }),
    expected: [401, 404, 404, 404],
  },
  'DELETE /auth/passkeys/:id': {
    request: () => ({ url: `/auth/passkeys/${randomUUID()}`, payload: { password: strongPassword } }),
    expected: [401, 404, 404, 404],
  },
  'GET /auth/tokens': { request: () => ({ url: '/auth/tokens' }), expected: own },
  // Nobody's token id: signed-in callers reach the lookup, which answers 404.
  'DELETE /auth/token/:tokenId': {
    request: () => ({ url: `/auth/token/${randomUUID()}` }),
    expected: [401, 404, 404, 404],
  },
  'GET /admin/devices/blacklist': { request: () => ({ url: '/admin/devices/blacklist' }), expected: adminOnly },
  'POST /admin/devices/blacklist': {
    request: () => ({ url: '/admin/devices/blacklist', payload: { deviceId: `device-${randomUUID()}` } }),
    expected: [401, 403, 201, 201],
  },
  'DELETE /admin/devices/blacklist/:deviceId': {
    request: () => ({ url: `/admin/devices/blacklist/never-listed-${randomUUID()}` }),
    expected: [401, 403, 404, 404],
  },
  'GET /admin/audit': { request: () => ({ url: '/admin/audit' }), expected: adminOnly },
  'GET /auth/identities': { request: () => ({ url: '/auth/identities' }), expected: own },
  'DELETE /auth/identities/:id': {
    request: () => ({ url: `/auth/identities/${randomUUID()}` }),
    expected: [401, 404, 404, 404],
  },
  'GET /admin/identity-providers': { request: () => ({ url: '/admin/identity-providers' }), expected: superAdminOnly },
  // The body is checked before the permission: an unreachable issuer proves the call got through.
  'POST /admin/identity-providers': {
    request: () => ({
      url: '/admin/identity-providers',
      payload: { id: 'nowhere', name: 'Nowhere', issuer: 'http://127.0.0.1:9', clientId: 'x', clientSecret: 'y' },
    }),
    expected: [401, 403, 403, 502],
  },
  'GET /admin/identity-providers/:provider': {
    request: () => ({ url: '/admin/identity-providers/nowhere' }),
    expected: [401, 403, 403, 404],
  },
  'PATCH /admin/identity-providers/:provider': {
    request: () => ({ url: '/admin/identity-providers/nowhere', payload: { name: 'Still nowhere' } }),
    expected: [401, 403, 403, 404],
  },
  'DELETE /admin/identity-providers/:provider': {
    request: () => ({ url: '/admin/identity-providers/nowhere' }),
    expected: [401, 403, 403, 404],
  },
  'GET /admin/oidc/clients': { request: () => ({ url: '/admin/oidc/clients' }), expected: superAdminOnly },
  'POST /admin/oidc/clients': {
    request: () => ({
      url: '/admin/oidc/clients',
      payload: { name: 'Matrix app', type: 'public', redirectUris: ['https://app.example.com/callback'] },
    }),
    expected: [401, 403, 403, 201],
  },
  'GET /admin/oidc/clients/:clientId': {
    request: () => ({ url: '/admin/oidc/clients/nowhere' }),
    expected: [401, 403, 403, 404],
  },
  'PATCH /admin/oidc/clients/:clientId': {
    request: () => ({ url: '/admin/oidc/clients/nowhere', payload: { name: 'Still nowhere' } }),
    expected: [401, 403, 403, 404],
  },
  'DELETE /admin/oidc/clients/:clientId': {
    request: () => ({ url: '/admin/oidc/clients/nowhere' }),
    expected: [401, 403, 403, 404],
  },
  'POST /admin/oidc/clients/:clientId/secret': {
    request: () => ({ url: '/admin/oidc/clients/nowhere/secret' }),
    expected: [401, 403, 403, 404],
  },
  'POST /auth/roles/assign': {
    request: ({ victimId }) => ({ url: '/auth/roles/assign', payload: { userId: victimId, roleName: 'ADMIN' } }),
    expected: superAdminOnly,
  },
  'POST /admin/assign-role': {
    request: ({ victimId }) => ({ url: '/admin/assign-role', payload: { userId: victimId, roleName: 'ADMIN' } }),
    expected: superAdminOnly,
  },
  'DELETE /auth/roles/remove': {
    request: ({ victimId }) => ({ url: '/auth/roles/remove', payload: { userId: victimId, roleName: 'USER' } }),
    expected: superAdminOnly,
  },
  'GET /auth/roles/user/:userId': {
    request: ({ victimId }) => ({ url: `/auth/roles/user/${victimId}` }),
    expected: adminOnly,
  },
  'POST /users': {
    request: () => ({ url: '/users', payload: { email: uniqueEmail('created'), password: strongPassword } }),
    expected: [401, 403, 201, 201],
  },
  'GET /users': { request: () => ({ url: '/users' }), expected: adminOnly },
  'GET /users/:id': { request: ({ victimId }) => ({ url: `/users/${victimId}` }), expected: adminOnly },
  'PATCH /users/:id': {
    request: ({ victimId }) => ({ url: `/users/${victimId}`, payload: { lastName: 'Changed' } }),
    expected: adminOnly,
  },
  'DELETE /users/:id': { request: ({ victimId }) => ({ url: `/users/${victimId}` }), expected: adminOnly },
  'POST /admin/users/:id/lock': {
    request: ({ victimId }) => ({ url: `/admin/users/${victimId}/lock`, payload: { reason: 'test' } }),
    expected: adminOnly,
  },
  'POST /admin/users/:id/unlock': {
    request: ({ victimId }) => ({ url: `/admin/users/${victimId}/unlock` }),
    expected: adminOnly,
  },
  'DELETE /admin/users/:id/sessions': {
    request: ({ victimId }) => ({ url: `/admin/users/${victimId}/sessions` }),
    expected: adminOnly,
  },
};

let test: TestApp;
beforeAll(async () => {
  test = await buildTestApp();
});
afterAll(() => test.close());

async function signedInAs(caller: Exclude<Caller, 'anonymous'>) {
  const user = await createVerifiedUser(test);
  const roles = createRoleRepository(test.db);
  if (caller === 'ADMIN' || caller === 'SUPER_ADMIN') await roles.insertUserRole(user.userId, 'ADMIN', new Date());
  if (caller === 'SUPER_ADMIN') await roles.insertUserRole(user.userId, 'SUPER_ADMIN', new Date());
  return user;
}

describe('route × caller permission matrix', () => {
  it('has an entry for every registered route', () => {
    const registered = test.app.routeList.map((route) => `${route.method} ${route.url}`);
    const listed = new Set([...publicRoutes, ...Object.keys(protectedRoutes)]);
    expect(registered.filter((route) => !listed.has(route))).toEqual([]);
    expect([...listed].filter((route) => !registered.includes(route))).toEqual([]);
  });

  for (const [route, entry] of Object.entries(protectedRoutes)) {
    it(`${route} → ${entry.expected.join(' / ')}`, async () => {
      const method = route.split(' ')[0] as InjectOptions['method'];
      const statuses: number[] = [];
      for (const caller of callers) {
        // A fresh caller and target per cell: some cells sign out or delete.
        const victim = await createVerifiedUser(test);
        const user = caller === 'anonymous' ? null : await signedInAs(caller);
        const { url, ...rest } = entry.request({
          victimId: victim.userId,
          callerSessionId: user?.sessionId ?? randomUUID(),
        });
        const response = await test.app.inject({
          method,
          url,
          ...rest,
          headers: user ? { authorization: `Bearer ${user.accessToken}` } : {},
        });
        statuses.push(response.statusCode);
        if (response.statusCode >= 400) {
          expect(response.json()).toMatchObject({ statusCode: response.statusCode, code: expect.any(String) });
        }
      }
      expect(statuses).toEqual(entry.expected);
    });
  }
});
