import { Type } from 'typebox';
import { DeviceInfoSchema } from '../../core/schemas.js';

export const ProviderIdSchema = Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,31}$', examples: ['google'] });
export const ProviderParamsSchema = Type.Object({ provider: ProviderIdSchema });

export const PublicProviderSchema = Type.Object({
  id: ProviderIdSchema,
  name: Type.String({ examples: ['Google'] }),
  type: Type.Union([Type.Literal('oidc'), Type.Literal('github')]),
});

export const ExchangeBodySchema = Type.Object(
  {
    code: Type.String({ minLength: 1, maxLength: 128, description: 'The `code` of the redirect to `return_to`' }),
    codeVerifier: Type.Optional(
      Type.String({
        minLength: 43,
        maxLength: 128,
        pattern: '^[A-Za-z0-9._~-]+$',
        description: 'Required when the flow was started with `code_challenge` (PKCE S256)',
      }),
    ),
    deviceInfo: Type.Optional(DeviceInfoSchema),
  },
  { additionalProperties: false },
);

export const IdTokenBodySchema = Type.Object(
  {
    idToken: Type.String({ minLength: 1, maxLength: 16_384, description: "The ID token the provider's SDK returned" }),
    nonce: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 256,
        description: 'The nonce the app gave the SDK (raw; Apple: before hashing)',
      }),
    ),
    deviceInfo: Type.Optional(DeviceInfoSchema),
  },
  { additionalProperties: false },
);

export const IdentitySchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  provider: ProviderIdSchema,
  providerName: Type.String({ examples: ['Google'] }),
  email: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String({ format: 'date-time' }),
  lastUsedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});

export const IdentityParamsSchema = Type.Object({ id: Type.String({ format: 'uuid' }) });

const address = Type.String({ minLength: 8, maxLength: 2048, pattern: '^https?://\\S+$' });
const scopes = Type.Array(Type.String({ minLength: 1, maxLength: 100, pattern: '^\\S+$' }), {
  minItems: 1,
  maxItems: 20,
});
const fields = {
  name: Type.String({ minLength: 1, maxLength: 100, examples: ['Acme SSO'] }),
  issuer: Type.String({ ...address, description: 'The OpenID issuer; for `github`, the web address' }),
  clientId: Type.String({ minLength: 1, maxLength: 512 }),
  clientSecret: Type.String({ minLength: 1, maxLength: 4096, description: 'Stored encrypted, never shown again' }),
  scopes,
  apiUrl: Type.String({ ...address, description: "`github` only: the API's address" }),
  enabled: Type.Boolean(),
};

export const ProviderBodySchema = Type.Object(
  {
    id: ProviderIdSchema,
    type: Type.Optional(Type.Union([Type.Literal('oidc'), Type.Literal('github')])),
    name: fields.name,
    issuer: fields.issuer,
    clientId: fields.clientId,
    clientSecret: fields.clientSecret,
    scopes: Type.Optional(scopes),
    apiUrl: Type.Optional(fields.apiUrl),
    enabled: Type.Optional(fields.enabled),
  },
  { additionalProperties: false },
);

export const ProviderPatchSchema = Type.Object(
  {
    name: Type.Optional(fields.name),
    issuer: Type.Optional(fields.issuer),
    clientId: Type.Optional(fields.clientId),
    clientSecret: Type.Optional(fields.clientSecret),
    scopes: Type.Optional(scopes),
    apiUrl: Type.Optional(fields.apiUrl),
    enabled: Type.Optional(fields.enabled),
  },
  { additionalProperties: false, minProperties: 1 },
);

export const AdminProviderSchema = Type.Object({
  id: ProviderIdSchema,
  type: Type.Union([Type.Literal('oidc'), Type.Literal('github')]),
  name: Type.String(),
  issuer: Type.String(),
  clientId: Type.String(),
  scopes: Type.Array(Type.String()),
  apiUrl: Type.Optional(Type.String()),
  enabled: Type.Boolean(),
  source: Type.Union([Type.Literal('environment'), Type.Literal('admin')], {
    description: '`environment` providers are read-only here',
  }),
});
