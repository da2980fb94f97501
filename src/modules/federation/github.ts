import { AppError } from '../../errors.js';
import type { Assertion } from './upstream.js';

interface GitHubUser {
  id: number;
  login: string;
  name: string | null;
}

interface GitHubEmail {
  email: string;
  primary: boolean;
  verified: boolean;
}

async function get<T>(apiUrl: string, path: string, accessToken: string, timeoutSeconds: number): Promise<T> {
  const response = await fetch(`${apiUrl}${path}`, {
    headers: {
      accept: 'application/vnd.github+json',
      authorization: `Bearer ${accessToken}`,
      'x-github-api-version': '2022-11-28',
      'user-agent': 'Gatehouse',
    },
    signal: AbortSignal.timeout(timeoutSeconds * 1000),
  });
  if (!response.ok) {
    throw new AppError('OAUTH_CALLBACK_FAILED', { cause: new Error(`GitHub ${path} answered ${response.status}`) });
  }
  return (await response.json()) as T;
}

/**
 * GitHub is OAuth 2 without OpenID Connect: the person is `GET /user`, and
 * the address is the primary one of `GET /user/emails` with GitHub's own
 * `verified` flag (the profile's public email says nothing about that).
 */
export async function fetchGitHubIdentity(
  apiUrl: string,
  accessToken: string,
  timeoutSeconds: number,
): Promise<Assertion> {
  const user = await get<GitHubUser>(apiUrl, '/user', accessToken, timeoutSeconds);
  const emails = await get<GitHubEmail[]>(apiUrl, '/user/emails', accessToken, timeoutSeconds);
  if (typeof user.id !== 'number' || !Array.isArray(emails)) {
    throw new AppError('OAUTH_CALLBACK_FAILED', { cause: new Error('GitHub answered in an unexpected shape') });
  }
  const primary = emails.find((entry) => typeof entry === 'object' && entry !== null && entry.primary === true);
  const [givenName = null, ...rest] = (user.name ?? '').trim().split(/\s+/).filter(Boolean);
  return {
    subject: String(user.id),
    email: primary?.email ?? null,
    emailVerified: primary?.verified === true,
    givenName: givenName?.slice(0, 100) ?? null,
    familyName: rest.length > 0 ? rest.join(' ').slice(0, 100) : null,
    mfa: false,
    expiresAt: new Date(0),
  };
}
