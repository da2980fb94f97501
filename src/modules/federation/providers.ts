import type { Config } from '../../config.js';
import type { ProviderSettings } from '../../config-providers.js';
import { AppError } from '../../errors.js';
import type { Secrets } from '../../platform/secrets.js';
import type { FederationRepository, ProviderRow } from './repository.js';

/** A sign-in provider, from the environment (read-only) or added through the admin API. */
export interface Provider extends ProviderSettings {
  readonly source: 'environment' | 'admin';
  /** Changes when an administrator edits the provider, so a cached discovery is not reused. */
  readonly version: string;
}

export const secretPurpose = 'identity-provider-secret';

/** The redirect URI to register at the provider. */
export const callbackUrl = (publicUrl: string, providerId: string) => `${publicUrl}/auth/oauth/${providerId}/callback`;

/**
 * The providers anyone can sign in with: the environment's, then the enabled
 * ones stored by administrators (read on each use, so every instance sees a
 * change at once).
 */
export function createProviderRegistry(deps: {
  config: Pick<Config, 'identityProviders'>;
  federation: FederationRepository;
  secrets: Secrets;
}) {
  const { config, federation, secrets } = deps;
  const environment = config.identityProviders.map(
    (settings): Provider => ({ ...settings, source: 'environment', version: 'environment' }),
  );

  function fromRow(row: ProviderRow): Provider {
    return {
      id: row.id,
      type: row.type === 'github' ? 'github' : 'oidc',
      name: row.displayName,
      issuer: row.issuer,
      clientId: row.clientId,
      clientSecret: secrets.decrypt(secretPurpose, row.clientSecretEncrypted) ?? undefined,
      scopes: row.scopes,
      ...(row.apiUrl ? { apiUrl: row.apiUrl } : {}),
      source: 'admin',
      version: row.updatedAt.toISOString(),
    };
  }

  return {
    environment,

    async list(): Promise<Provider[]> {
      const stored = (await federation.listProviders()).filter((row) => row.enabled).map(fromRow);
      return [...environment, ...stored.filter((row) => !environment.some((env) => env.id === row.id))];
    },

    async find(id: string): Promise<Provider> {
      const fixed = environment.find((provider) => provider.id === id);
      if (fixed) return fixed;
      const row = await federation.findProvider(id);
      if (!row?.enabled) throw new AppError('PROVIDER_NOT_FOUND');
      return fromRow(row);
    },
  };
}

export type ProviderRegistry = ReturnType<typeof createProviderRegistry>;
