import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { githubClientId, githubClientSecret, startGitHubStandIn } from '../../../test/github-stand-in.js';
import { buildTestApp, expectError, post, type TestApp, uniqueEmail } from '../../../test/helpers.js';

let github: Awaited<ReturnType<typeof startGitHubStandIn>>;
let test: TestApp;

beforeAll(async () => {
  github = await startGitHubStandIn();
  test = await buildTestApp({
    env: {
      PUBLIC_URL: 'http://localhost:3999',
      GITHUB_CLIENT_ID: githubClientId,
      GITHUB_CLIENT_SECRET: githubClientSecret,
      GITHUB_URL: github.url,
      GITHUB_API_URL: github.apiUrl,
    },
  });
});

afterAll(async () => {
  await test.close();
  await github.close();
});

let ids = 100;
async function signInWithGitHub(emails: Array<{ email: string; primary: boolean; verified: boolean }>) {
  ids += 1;
  github.signInAs({ id: ids, login: `user${ids}`, name: 'Grace Brewster Hopper', emails });
  const start = await test.app.inject({ method: 'GET', url: '/auth/oauth/github' });
  expect(start.statusCode).toBe(303);
  const authorize = new URL(start.headers.location as string);
  expect(authorize.origin + authorize.pathname).toBe(`${github.url}/login/oauth/authorize`);
  expect(authorize.searchParams.get('scope')).toBe('read:user user:email');
  const back = await fetch(authorize, { redirect: 'manual' });
  const callback = new URL(back.headers.get('location') as string);
  const cookies = Object.fromEntries(start.cookies.map((cookie) => [cookie.name, cookie.value]));
  return test.app.inject({ method: 'GET', url: `${callback.pathname}${callback.search}`, cookies });
}

describe('Sign in with GitHub (against a stand-in of its endpoints)', () => {
  it('creates an account from the verified primary address, named from the profile', async () => {
    const email = uniqueEmail('octo');
    const response = await signInWithGitHub([
      { email: uniqueEmail('secondary'), primary: false, verified: true },
      { email, primary: true, verified: true },
    ]);
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe('/account');
    const user = await test.services.repositories.users.findUserByEmail(email);
    expect(user).toMatchObject({ firstName: 'Grace', lastName: 'Brewster Hopper', passwordHash: null });
    const identities = await test.services.repositories.federation.listIdentities(user?.id as number);
    expect(identities).toMatchObject([{ provider: 'github', subject: String(ids) }]);
  });

  it('refuses an account whose primary address GitHub has not verified, even if another one is', async () => {
    const email = uniqueEmail('unverified');
    const response = await signInWithGitHub([
      { email, primary: true, verified: false },
      { email: uniqueEmail('other'), primary: false, verified: true },
    ]);
    expect(response.statusCode).toBe(403);
    expect(response.body).toContain('did not confirm your email address');
    expect(await test.services.repositories.users.findUserByEmail(email)).toBeNull();
  });

  it('shows a page when GitHub refuses the code, and has no ID token for the native flow', async () => {
    const start = await test.app.inject({ method: 'GET', url: '/auth/oauth/github' });
    const state = new URL(start.headers.location as string).searchParams.get('state') as string;
    const cookies = Object.fromEntries(start.cookies.map((cookie) => [cookie.name, cookie.value]));
    const response = await test.app.inject({
      method: 'GET',
      url: `/auth/oauth/github/callback?code=made-up&state=${state}`,
      cookies,
    });
    expect(response.statusCode).toBe(400);
    expect(response.body).toContain('The provider did not complete the sign-in');
    expectError(await post(test.app, '/auth/oauth/github/token', { idToken: 'x.y.z' }), 400, 'PROVIDER_NOT_OIDC');
  });
});
