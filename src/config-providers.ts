import type { Environment } from './config-schema.js';

/** A sign-in provider as the environment configures it (read-only at run time). */
export interface ProviderSettings {
  readonly id: string;
  readonly type: 'oidc' | 'github';
  readonly name: string;
  /** The OpenID issuer; for GitHub, its web address. */
  readonly issuer: string;
  readonly clientId: string;
  /** Absent for Apple, whose client secret is a JWT made from `apple`. */
  readonly clientSecret: string | undefined;
  readonly scopes: readonly string[];
  /** GitHub's API base. */
  readonly apiUrl?: string;
  readonly apple?: { readonly teamId: string; readonly keyId: string; readonly privateKey: string };
}

/** Thrown for a half-configured provider, naming the variable that is missing (config.ts reports it). */
class ProviderConfigError extends Error {}

const presetIds = new Set(['google', 'microsoft', 'apple', 'github']);
// Paths of ours under /auth/oauth/ that a provider id would be shadowed by.
const reservedIds = new Set(['handoff', 'exchange']);
const oidcKey = /^OIDC_(.+)_(ISSUER|CLIENT_ID|CLIENT_SECRET|DISPLAY_NAME|SCOPES)$/;

/**
 * Every variable of a group set, or none: a group with some set names the first one missing,
 * so start-up stops with something an operator can act on.
 */
function complete(env: Record<string, string | undefined>, names: readonly string[]): boolean {
  const present = names.filter((name) => env[name]);
  if (present.length === 0) return false;
  const missing = names.find((name) => !env[name]);
  if (missing) throw new ProviderConfigError(`Invalid ${missing}: required when ${present.join(', ')} is set`);
  return true;
}

function presets(e: Environment, env: Record<string, string | undefined>): ProviderSettings[] {
  const providers: ProviderSettings[] = [];
  const standard = ['openid', 'email', 'profile'];
  if (complete(env, ['GOOGLE_CLIENT_ID', 'GOOGLE_CLIENT_SECRET'])) {
    providers.push({
      id: 'google',
      type: 'oidc',
      name: 'Google',
      issuer: 'https://accounts.google.com',
      clientId: e.GOOGLE_CLIENT_ID as string,
      clientSecret: e.GOOGLE_CLIENT_SECRET,
      scopes: standard,
    });
  }
  if (complete(env, ['MICROSOFT_CLIENT_ID', 'MICROSOFT_CLIENT_SECRET'])) {
    providers.push({
      id: 'microsoft',
      type: 'oidc',
      name: 'Microsoft',
      issuer: `https://login.microsoftonline.com/${e.MICROSOFT_TENANT}/v2.0`,
      clientId: e.MICROSOFT_CLIENT_ID as string,
      clientSecret: e.MICROSOFT_CLIENT_SECRET,
      scopes: standard,
    });
  }
  if (complete(env, ['APPLE_CLIENT_ID', 'APPLE_TEAM_ID', 'APPLE_KEY_ID', 'APPLE_PRIVATE_KEY'])) {
    providers.push({
      id: 'apple',
      type: 'oidc',
      name: 'Apple',
      issuer: 'https://appleid.apple.com',
      clientId: e.APPLE_CLIENT_ID as string,
      clientSecret: undefined,
      scopes: ['openid', 'email', 'name'],
      apple: {
        teamId: e.APPLE_TEAM_ID as string,
        keyId: e.APPLE_KEY_ID as string,
        // Many deployment tools cannot hold a line break in a variable.
        privateKey: (e.APPLE_PRIVATE_KEY as string).replaceAll('\\n', '\n'),
      },
    });
  }
  if (complete(env, ['GITHUB_CLIENT_ID', 'GITHUB_CLIENT_SECRET'])) {
    providers.push({
      id: 'github',
      type: 'github',
      name: 'GitHub',
      issuer: e.GITHUB_URL.replace(/\/+$/, ''),
      apiUrl: e.GITHUB_API_URL.replace(/\/+$/, ''),
      clientId: e.GITHUB_CLIENT_ID as string,
      clientSecret: e.GITHUB_CLIENT_SECRET,
      scopes: ['read:user', 'user:email'],
    });
  }
  return providers;
}

/** `OIDC_<NAME>_*`: any OpenID Connect issuer, its id the name lower-cased. */
function genericIssuers(env: Record<string, string | undefined>): ProviderSettings[] {
  const names = new Set<string>();
  for (const [key, value] of Object.entries(env)) {
    const match = oidcKey.exec(key);
    if (!match?.[1] || !value) continue;
    // A name with an underscore would be read as another variable; better stop than ignore it.
    if (!/^[A-Z0-9]+$/.test(match[1])) {
      throw new ProviderConfigError(`Invalid ${key}: the provider name must be capital letters and digits only`);
    }
    names.add(match[1]);
  }
  return [...names].sort().map((name) => {
    const variable = (suffix: string) => `OIDC_${name}_${suffix}`;
    complete(env, [variable('ISSUER'), variable('CLIENT_ID'), variable('CLIENT_SECRET')]);
    const id = name.toLowerCase();
    if (presetIds.has(id)) {
      throw new ProviderConfigError(`Invalid ${variable('ISSUER')}: "${id}" is a preset; use its own variables`);
    }
    if (reservedIds.has(id)) throw new ProviderConfigError(`Invalid ${variable('ISSUER')}: "${id}" is reserved`);
    const issuer = env[variable('ISSUER')] as string;
    if (!/^https?:\/\/\S+$/.test(issuer)) {
      throw new ProviderConfigError(`Invalid ${variable('ISSUER')}: must be an http(s) URL`);
    }
    const scopes = (env[variable('SCOPES')] ?? 'openid email profile').split(/[\s,]+/).filter(Boolean);
    if (!scopes.includes('openid')) {
      throw new ProviderConfigError(`Invalid ${variable('SCOPES')}: must include openid`);
    }
    return {
      id,
      type: 'oidc' as const,
      name: env[variable('DISPLAY_NAME')] || name.charAt(0) + name.slice(1).toLowerCase(),
      issuer: issuer.replace(/\/+$/, ''),
      clientId: env[variable('CLIENT_ID')] as string,
      clientSecret: env[variable('CLIENT_SECRET')],
      scopes,
    };
  });
}

/** The sign-in providers the environment configures: the presets, then `OIDC_<NAME>_*` issuers. */
export function providersFromEnvironment(e: Environment, env: Record<string, string | undefined>) {
  return [...presets(e, env), ...genericIssuers(env)];
}
