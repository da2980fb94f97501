import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface GitHubPerson {
  id: number;
  login: string;
  name: string | null;
  emails: Array<{ email: string; primary: boolean; verified: boolean }>;
}

export const githubClientId = 'Iv1.teststandin';
export const githubClientSecret = 'github-stand-in-secret';

/**
 * A loopback stand-in for GitHub's OAuth app endpoints, answering as GitHub
 * documents them: `/login/oauth/authorize` redirects back with a code,
 * `/login/oauth/access_token` answers JSON (errors too, with status 200, as
 * GitHub does), and the API's `/user` and `/user/emails` under `/api`.
 */
export async function startGitHubStandIn() {
  const codes = new Map<string, { person: GitHubPerson; challenge: string | null; redirectUri: string }>();
  const tokens = new Map<string, GitHubPerson>();
  let next: GitHubPerson = { id: 1, login: 'octocat', name: 'The Octocat', emails: [] };

  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://stand-in');
    const json = (status: number, body: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body));
    };
    if (request.method === 'GET' && url.pathname === '/login/oauth/authorize') {
      const redirectUri = url.searchParams.get('redirect_uri') ?? '';
      if (url.searchParams.get('client_id') !== githubClientId) return json(404, { message: 'Not Found' });
      const code = randomBytes(10).toString('hex');
      codes.set(code, { person: next, challenge: url.searchParams.get('code_challenge'), redirectUri });
      const back = new URL(redirectUri);
      back.searchParams.set('code', code);
      back.searchParams.set('state', url.searchParams.get('state') ?? '');
      response.writeHead(302, { location: back.href });
      return response.end();
    }
    if (request.method === 'POST' && url.pathname === '/login/oauth/access_token') {
      let body = '';
      request.on('data', (chunk) => {
        body += chunk;
      });
      request.on('end', () => {
        const form = new URLSearchParams(body);
        const grant = codes.get(form.get('code') ?? '');
        codes.delete(form.get('code') ?? '');
        const verifier = form.get('code_verifier') ?? '';
        const challengeOk =
          grant?.challenge === null || grant?.challenge === createHash('sha256').update(verifier).digest('base64url');
        if (form.get('client_id') !== githubClientId || form.get('client_secret') !== githubClientSecret) {
          return json(200, { error: 'incorrect_client_credentials' });
        }
        if (!grant || !challengeOk || grant.redirectUri !== form.get('redirect_uri')) {
          return json(200, { error: 'bad_verification_code' });
        }
        const token = `gho_${randomBytes(16).toString('hex')}`;
        tokens.set(token, grant.person);
        return json(200, { access_token: token, token_type: 'bearer', scope: 'read:user,user:email' });
      });
      return;
    }
    const person = tokens.get((request.headers.authorization ?? '').replace(/^Bearer /, ''));
    if (!person) return json(401, { message: 'Bad credentials' });
    if (url.pathname === '/api/user') {
      const primary = person.emails.find((entry) => entry.primary);
      return json(200, { id: person.id, login: person.login, name: person.name, email: primary?.email ?? null });
    }
    if (url.pathname === '/api/user/emails') {
      return json(
        200,
        person.emails.map((entry) => ({ ...entry, visibility: entry.primary ? 'public' : null })),
      );
    }
    return json(404, { message: 'Not Found' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    apiUrl: `${url}/api`,
    signInAs(person: GitHubPerson) {
      next = person;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
