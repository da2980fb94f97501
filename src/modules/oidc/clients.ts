import type { ClientMetadata } from 'oidc-provider';
import type { Actor } from '../../core/account.js';
import { isLoopbackHost } from '../../core/loopback.js';
import { AppError } from '../../errors.js';
import type { Clock } from '../../platform/clock.js';
import { randomToken, sha256Hex } from '../../platform/secrets.js';
import type { AuditRecorder } from '../audit/recorder.js';
import type { ClientCache } from './client-cache.js';
import type { ClientRow, OidcRepository } from './repository.js';

export const oidcScopes = ['openid', 'profile', 'email', 'phone', 'offline_access', 'roles'] as const;
const knownGrantTypes = ['authorization_code', 'refresh_token', 'client_credentials'] as const;

export interface ClientInput {
  name: string;
  redirectUris: string[];
  postLogoutRedirectUris?: string[] | undefined;
  type: 'public' | 'confidential';
  grantTypes?: Array<'authorization_code' | 'refresh_token' | 'client_credentials'> | undefined;
  scopes?: Array<(typeof oidcScopes)[number]> | undefined;
  firstParty?: boolean | undefined;
  /** RS256 unless the app asks for EdDSA. */
  idTokenSigningAlg?: 'RS256' | 'EdDSA' | undefined;
}

export type ClientChanges = Partial<Omit<ClientInput, 'type'>>;

/** A client as the admin API shows it: never the secret, which exists only in the answer that made it. */
export interface ClientView {
  clientId: string;
  name: string;
  type: string;
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  grantTypes: string[];
  scopes: string[];
  firstParty: boolean;
  idTokenSigningAlg: string;
  createdAt: string;
  updatedAt: string;
}

// A native app's private-use scheme is its reverse domain name (RFC 8252 §7.1): `com.example.app:/callback`.
const privateUseScheme = /^[a-z][a-z0-9+-]*(\.[a-z0-9+-]+)+:$/;

/**
 * Redirect URIs are compared exactly by the provider; here they are held to
 * what is safe to register: absolute, no fragment, no wildcard, https except
 * on loopback, a private-use scheme only for a public (native) app.
 */
function checkRedirectUri(field: string, value: string, type: ClientInput['type']): void {
  const refuse = (why: string): never => {
    throw new AppError('VALIDATION_FAILED', { message: `${field}: ${why}` });
  };
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    refuse(`"${value}" is not an absolute URL`);
    return;
  }
  if (value.length > 2048) refuse('an address is longer than 2048 characters');
  if (value.includes('*')) refuse('wildcards are not allowed; register each address exactly');
  if (url.hash || value.includes('#')) refuse('an address must not have a fragment');
  if (url.username || url.password) refuse('an address must not carry credentials');
  if (url.protocol === 'https:') return;
  if (url.protocol === 'http:') {
    if (!isLoopbackHost(url.hostname)) refuse('http is allowed only for loopback addresses; use https');
    return;
  }
  if (!privateUseScheme.test(url.protocol)) refuse(`the scheme of "${value}" is not allowed`);
  if (type !== 'public') refuse('a private-use scheme (a native app) needs a public client');
}

function checkClient(client: Required<Omit<ClientInput, 'firstParty' | 'idTokenSigningAlg'>>): void {
  if (client.name.trim() === '') throw new AppError('VALIDATION_FAILED', { message: 'name must not be empty' });
  // The HTTP schema checks these too; the service holds the rule for every caller (CLI, console, API).
  if (client.type !== 'public' && client.type !== 'confidential') {
    throw new AppError('VALIDATION_FAILED', { message: 'type: must be public or confidential' });
  }
  const unknownGrant = client.grantTypes.find((grant) => !(knownGrantTypes as readonly string[]).includes(grant));
  if (unknownGrant) throw new AppError('VALIDATION_FAILED', { message: `grantTypes: unknown "${unknownGrant}"` });
  const unknownScope = client.scopes.find((scope) => !(oidcScopes as readonly string[]).includes(scope));
  if (unknownScope) throw new AppError('VALIDATION_FAILED', { message: `scopes: unknown "${unknownScope}"` });
  const grants = new Set(client.grantTypes);
  if (grants.size === 0) throw new AppError('VALIDATION_FAILED', { message: 'grantTypes must not be empty' });
  if (grants.has('client_credentials') && client.type !== 'confidential') {
    throw new AppError('VALIDATION_FAILED', { message: 'grantTypes: client_credentials needs a confidential client' });
  }
  if (grants.has('refresh_token') && !grants.has('authorization_code')) {
    throw new AppError('VALIDATION_FAILED', { message: 'grantTypes: refresh_token comes with authorization_code' });
  }
  if (grants.has('authorization_code')) {
    if (client.redirectUris.length === 0) {
      throw new AppError('VALIDATION_FAILED', { message: 'redirectUris: authorization_code needs at least one' });
    }
    if (!client.scopes.includes('openid')) {
      throw new AppError('VALIDATION_FAILED', { message: 'scopes must include openid for sign-in' });
    }
  }
  for (const uri of client.redirectUris) checkRedirectUri('redirectUris', uri, client.type);
  for (const uri of client.postLogoutRedirectUris) checkRedirectUri('postLogoutRedirectUris', uri, client.type);
}

export function toClientView(row: ClientRow): ClientView {
  const { secretHash: _secret, createdAt, updatedAt, ...rest } = row;
  return { ...rest, createdAt: createdAt.toISOString(), updatedAt: updatedAt.toISOString() };
}

/** The client as oidc-provider reads it; `first_party` is ours (see the provider's extraClientMetadata). */
export function toClientMetadata(row: ClientRow): ClientMetadata {
  const nativeApp = [...row.redirectUris, ...row.postLogoutRedirectUris].some((uri) => !/^https?:/.test(uri));
  return {
    client_id: row.clientId,
    client_name: row.name,
    ...(row.secretHash
      ? { client_secret: row.secretHash, token_endpoint_auth_method: 'client_secret_basic' }
      : { token_endpoint_auth_method: 'none' }),
    application_type: nativeApp ? 'native' : 'web',
    redirect_uris: row.redirectUris,
    post_logout_redirect_uris: row.postLogoutRedirectUris,
    grant_types: row.grantTypes,
    response_types: row.grantTypes.includes('authorization_code') ? ['code'] : [],
    scope: row.scopes.join(' '),
    id_token_signed_response_alg: row.idTokenSigningAlg as 'RS256' | 'EdDSA',
    // auth_time in every ID token: an app can judge how recent the sign-in is without asking for max_age.
    require_auth_time: true,
    first_party: row.firstParty,
  };
}

/** The secret is 256 random bits; a fast hash suffices (nothing to guess), as for refresh tokens. */
export const hashClientSecret = (secret: string) => sha256Hex(secret);

/**
 * The OpenID provider's clients as data (`oidc.clients.manage`): the admin
 * API and the CLI call these, and the provider reads the same rows.
 */
export function createOidcClientService({
  oidc,
  oidcClientCache,
  audit,
  clock,
}: {
  oidc: OidcRepository;
  oidcClientCache: ClientCache;
  audit: AuditRecorder;
  clock: Clock;
}) {
  async function existing(clientId: string): Promise<ClientRow> {
    const row = await oidc.findClient(clientId);
    if (!row) throw new AppError('CLIENT_NOT_FOUND');
    return row;
  }

  return {
    async list(): Promise<ClientView[]> {
      return (await oidc.listClients()).map(toClientView);
    },

    async get(clientId: string): Promise<ClientView> {
      return toClientView(await existing(clientId));
    },

    async create(actor: Pick<Actor, 'userId'> | null, input: ClientInput) {
      const client = {
        name: input.name.trim(),
        type: input.type,
        redirectUris: input.redirectUris,
        postLogoutRedirectUris: input.postLogoutRedirectUris ?? [],
        grantTypes: input.grantTypes ?? ['authorization_code', 'refresh_token'],
        scopes: input.scopes ?? [...oidcScopes],
        firstParty: input.firstParty ?? false,
        idTokenSigningAlg: input.idTokenSigningAlg ?? 'RS256',
      };
      checkClient(client);
      const clientSecret = client.type === 'confidential' ? randomToken() : undefined;
      const now = clock.now();
      const row = await oidc.insertClient({
        ...client,
        clientId: randomToken(16),
        secretHash: clientSecret ? hashClientSecret(clientSecret) : null,
        createdAt: now,
        updatedAt: now,
      });
      await audit.record('oidc_client.created', {
        actorUserId: actor?.userId ?? null,
        targetUserId: null,
        details: { clientId: row.clientId, name: row.name, type: row.type },
      });
      return { client: toClientView(row), ...(clientSecret ? { clientSecret } : {}) };
    },

    async update(actor: Pick<Actor, 'userId'>, clientId: string, changes: ClientChanges): Promise<ClientView> {
      const row = await existing(clientId);
      if (Object.keys(changes).length === 0) throw new AppError('VALIDATION_FAILED', { message: 'Nothing to change' });
      const next = {
        name: changes.name?.trim() ?? row.name,
        type: row.type as ClientInput['type'],
        redirectUris: changes.redirectUris ?? row.redirectUris,
        postLogoutRedirectUris: changes.postLogoutRedirectUris ?? row.postLogoutRedirectUris,
        grantTypes: (changes.grantTypes ?? row.grantTypes) as ClientInput['grantTypes'] & string[],
        scopes: (changes.scopes ?? row.scopes) as ClientInput['scopes'] & string[],
        firstParty: changes.firstParty ?? row.firstParty,
        idTokenSigningAlg: changes.idTokenSigningAlg ?? row.idTokenSigningAlg,
      };
      checkClient(next);
      const updated = await oidc.updateClient(clientId, { ...next, updatedAt: clock.now() });
      if (!updated) throw new AppError('CLIENT_NOT_FOUND');
      // The provider here stops using the old settings before the caller hears they were replaced.
      await oidcClientCache.sync();
      await audit.record('oidc_client.updated', {
        actorUserId: actor.userId,
        targetUserId: null,
        details: { clientId, fields: Object.keys(changes) },
      });
      return toClientView(updated);
    },

    /** A new secret, shown once; the old one stops working at once. */
    async rotateSecret(actor: Pick<Actor, 'userId'>, clientId: string) {
      const row = await existing(clientId);
      if (row.type !== 'confidential') throw new AppError('CLIENT_NOT_CONFIDENTIAL');
      const clientSecret = randomToken();
      const updated = await oidc.updateClient(clientId, {
        secretHash: hashClientSecret(clientSecret),
        updatedAt: clock.now(),
      });
      if (!updated) throw new AppError('CLIENT_NOT_FOUND');
      await oidcClientCache.sync();
      await audit.record('oidc_client.secret_rotated', {
        actorUserId: actor.userId,
        targetUserId: null,
        details: { clientId },
      });
      return { client: toClientView(updated), clientSecret };
    },

    /** Removes the client with every code, token and grant issued to it. */
    async remove(actor: Pick<Actor, 'userId'> | null, clientId: string): Promise<void> {
      if (!(await oidc.deleteClient(clientId))) throw new AppError('CLIENT_NOT_FOUND');
      await oidcClientCache.sync();
      await audit.record('oidc_client.deleted', {
        actorUserId: actor?.userId ?? null,
        targetUserId: null,
        details: { clientId },
      });
    },
  };
}

export type OidcClientService = ReturnType<typeof createOidcClientService>;
