import type { Config } from '../../config.js';
import type { Actor } from '../../core/account.js';
import { isLoopbackHost } from '../../core/loopback.js';
import { AppError } from '../../errors.js';
import type { Clock } from '../../platform/clock.js';
import type { Secrets } from '../../platform/secrets.js';
import type { AuditRecorder } from '../audit/recorder.js';
import { type Provider, type ProviderRegistry, secretPurpose } from './providers.js';
import type { FederationRepository, ProviderRow } from './repository.js';
import type { Upstream } from './upstream.js';

export interface ProviderInput {
  id: string;
  type?: 'oidc' | 'github' | undefined;
  name: string;
  issuer: string;
  clientId: string;
  clientSecret: string;
  scopes?: string[] | undefined;
  apiUrl?: string | undefined;
  enabled?: boolean | undefined;
}

export type ProviderChanges = Partial<Omit<ProviderInput, 'id' | 'type'>>;

// Paths of ours under /auth/oauth/ that a provider id must not shadow.
const reservedIds = new Set(['handoff', 'exchange']);

/**
 * Providers as data, for SUPER_ADMIN (`idp.manage`): a running service can
 * add one without a restart. The environment's are listed too, read-only.
 * A new or changed provider is discovered before it is saved, so a typo in
 * an issuer is an answer now rather than a broken button later.
 */
export function createProviderAdminService(deps: {
  federation: FederationRepository;
  providers: ProviderRegistry;
  upstream: Upstream;
  secrets: Secrets;
  audit: AuditRecorder;
  clock: Clock;
  config: Pick<Config, 'isProduction'>;
}) {
  const { federation, providers, upstream, secrets, audit, clock, config } = deps;

  const present = (provider: Omit<Provider, 'clientSecret'> & { enabled: boolean }) => ({
    id: provider.id,
    type: provider.type,
    name: provider.name,
    issuer: provider.issuer,
    clientId: provider.clientId,
    scopes: [...provider.scopes],
    ...(provider.apiUrl ? { apiUrl: provider.apiUrl } : {}),
    enabled: provider.enabled,
    source: provider.source,
  });

  const fromRow = (row: ProviderRow) =>
    present({
      id: row.id,
      type: row.type === 'github' ? 'github' : 'oidc',
      name: row.displayName,
      issuer: row.issuer,
      clientId: row.clientId,
      scopes: row.scopes,
      ...(row.apiUrl ? { apiUrl: row.apiUrl } : {}),
      enabled: row.enabled,
      source: 'admin',
      version: row.updatedAt.toISOString(),
    });

  function checkAddress(field: string, address: string): string {
    let url: URL;
    try {
      url = new URL(address);
    } catch {
      throw new AppError('VALIDATION_FAILED', { message: `${field} is not a URL` });
    }
    const plain = url.protocol === 'http:' && (config.isProduction || !isLoopbackHost(url.hostname));
    if ((url.protocol !== 'https:' && url.protocol !== 'http:') || plain) {
      throw new AppError('VALIDATION_FAILED', {
        message: `${field} must be https (http only for loopback, outside production)`,
      });
    }
    return address.replace(/\/+$/, '');
  }

  function editable(id: string): void {
    if (providers.environment.some((provider) => provider.id === id)) throw new AppError('PROVIDER_READ_ONLY');
  }

  /** Discovery with the new settings: refuses an issuer that cannot be reached or is not an OpenID provider. */
  async function probe(row: ProviderRow): Promise<void> {
    const secret = secrets.decrypt(secretPurpose, row.clientSecretEncrypted) ?? undefined;
    await upstream.connect({
      id: row.id,
      type: row.type === 'github' ? 'github' : 'oidc',
      name: row.displayName,
      issuer: row.issuer,
      clientId: row.clientId,
      clientSecret: secret,
      scopes: row.scopes,
      source: 'admin',
      version: `probe ${row.updatedAt.toISOString()}`,
    });
  }

  return {
    async list() {
      const stored = await federation.listProviders();
      return [
        ...providers.environment.map((provider) => present({ ...provider, enabled: true })),
        ...stored.map(fromRow),
      ];
    },

    async get(id: string) {
      const fixed = providers.environment.find((provider) => provider.id === id);
      if (fixed) return present({ ...fixed, enabled: true });
      const row = await federation.findProvider(id);
      if (!row) throw new AppError('PROVIDER_NOT_FOUND');
      return fromRow(row);
    },

    async create(actor: Actor, input: ProviderInput) {
      if (reservedIds.has(input.id)) throw new AppError('VALIDATION_FAILED', { message: `"${input.id}" is reserved` });
      editable(input.id);
      const type = input.type ?? 'oidc';
      const scopes = input.scopes ?? (type === 'github' ? ['read:user', 'user:email'] : ['openid', 'email', 'profile']);
      if (type === 'oidc' && !scopes.includes('openid')) {
        throw new AppError('VALIDATION_FAILED', { message: 'scopes must include openid' });
      }
      const now = clock.now();
      const row: ProviderRow = {
        id: input.id,
        type,
        displayName: input.name.trim(),
        issuer: checkAddress('issuer', input.issuer),
        apiUrl: input.apiUrl
          ? checkAddress('apiUrl', input.apiUrl)
          : type === 'github'
            ? 'https://api.github.com'
            : null,
        clientId: input.clientId,
        clientSecretEncrypted: secrets.encrypt(secretPurpose, input.clientSecret),
        scopes,
        enabled: input.enabled ?? true,
        createdAt: now,
        updatedAt: now,
      };
      await probe(row);
      const created = await federation.insertProvider(row);
      if (!created) throw new AppError('PROVIDER_EXISTS');
      await audit.record('identity_provider.created', { actorUserId: actor.userId, details: { provider: row.id } });
      return fromRow(created);
    },

    async update(actor: Actor, id: string, changes: ProviderChanges) {
      editable(id);
      const current = await federation.findProvider(id);
      if (!current) throw new AppError('PROVIDER_NOT_FOUND');
      const next: ProviderRow = {
        ...current,
        ...(changes.name !== undefined ? { displayName: changes.name.trim() } : {}),
        ...(changes.issuer !== undefined ? { issuer: checkAddress('issuer', changes.issuer) } : {}),
        ...(changes.apiUrl !== undefined ? { apiUrl: checkAddress('apiUrl', changes.apiUrl) } : {}),
        ...(changes.clientId !== undefined ? { clientId: changes.clientId } : {}),
        ...(changes.clientSecret !== undefined
          ? { clientSecretEncrypted: secrets.encrypt(secretPurpose, changes.clientSecret) }
          : {}),
        ...(changes.scopes !== undefined ? { scopes: changes.scopes } : {}),
        ...(changes.enabled !== undefined ? { enabled: changes.enabled } : {}),
        updatedAt: clock.now(),
      };
      if (next.type === 'oidc' && !next.scopes.includes('openid')) {
        throw new AppError('VALIDATION_FAILED', { message: 'scopes must include openid' });
      }
      // Identities are subjects of one issuer: another issuer's subjects must not sign in to them.
      if (next.issuer !== current.issuer && (await federation.countIdentitiesOf(id)) > 0) {
        throw new AppError('VALIDATION_FAILED', {
          message: 'issuer cannot change while identities are linked to this provider; add a new provider instead',
        });
      }
      if (next.enabled) await probe(next);
      const { id: _id, createdAt: _createdAt, ...values } = next;
      const updated = await federation.updateProvider(id, values);
      if (!updated) throw new AppError('PROVIDER_NOT_FOUND');
      await audit.record('identity_provider.updated', {
        actorUserId: actor.userId,
        details: { provider: id, fields: Object.keys(changes) },
      });
      return fromRow(updated);
    },

    /**
     * Its linked identities go with it: a provider added later under the same id may be another
     * issuer, whose subjects must not sign in to them. Whoever signed in only through it sets a
     * password with "Forgot your password?".
     */
    async remove(actor: Actor, id: string) {
      editable(id);
      const unlinked = await federation.deleteProviderAndIdentities(id);
      if (unlinked === null) throw new AppError('PROVIDER_NOT_FOUND');
      await audit.record('identity_provider.deleted', {
        actorUserId: actor.userId,
        details: { provider: id, identitiesRemoved: unlinked },
      });
    },
  };
}

export type ProviderAdminService = ReturnType<typeof createProviderAdminService>;
