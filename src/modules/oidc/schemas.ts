import { Type } from 'typebox';

const ClientTypeSchema = Type.Union([Type.Literal('public'), Type.Literal('confidential')]);
const GrantTypeSchema = Type.Union([
  Type.Literal('authorization_code'),
  Type.Literal('refresh_token'),
  Type.Literal('client_credentials'),
]);
const ScopeSchema = Type.Union([
  Type.Literal('openid'),
  Type.Literal('profile'),
  Type.Literal('email'),
  Type.Literal('phone'),
  Type.Literal('offline_access'),
  Type.Literal('roles'),
]);

const uris = (description: string) =>
  Type.Array(Type.String({ minLength: 1, maxLength: 2048 }), { maxItems: 20, uniqueItems: true, description });

const editable = {
  name: Type.String({ minLength: 1, maxLength: 100, examples: ['Orders web app'] }),
  redirectUris: uris('Exact addresses the app may be sent back to (https; http only for loopback; no wildcards)'),
  postLogoutRedirectUris: Type.Optional(uris('Exact addresses the app may be sent to after signing out')),
  grantTypes: Type.Optional(
    Type.Array(GrantTypeSchema, {
      minItems: 1,
      uniqueItems: true,
      description: 'Default: authorization_code and refresh_token',
    }),
  ),
  scopes: Type.Optional(
    Type.Array(ScopeSchema, { minItems: 1, uniqueItems: true, description: 'The scopes it may ask for; default: all' }),
  ),
  firstParty: Type.Optional(Type.Boolean({ description: 'Your own app: its users are not asked to consent' })),
  idTokenSigningAlg: Type.Optional(
    Type.Union([Type.Literal('RS256'), Type.Literal('EdDSA')], {
      description: 'How its ID tokens are signed; default RS256',
    }),
  ),
};

export const ClientBodySchema = Type.Object({ ...editable, type: ClientTypeSchema }, { additionalProperties: false });

export const ClientPatchSchema = Type.Object(
  { ...editable, name: Type.Optional(editable.name), redirectUris: Type.Optional(editable.redirectUris) },
  { additionalProperties: false },
);

export const ClientParamsSchema = Type.Object({
  clientId: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' }),
});

export const ClientSchema = Type.Object({
  clientId: Type.String(),
  name: Type.String(),
  type: Type.String({ examples: ['confidential'] }),
  redirectUris: Type.Array(Type.String()),
  postLogoutRedirectUris: Type.Array(Type.String()),
  grantTypes: Type.Array(Type.String()),
  scopes: Type.Array(Type.String()),
  firstParty: Type.Boolean(),
  idTokenSigningAlg: Type.String({ examples: ['RS256'] }),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
});

/** A new client, or a new secret: the only answer that ever holds the secret. */
export const ClientWithSecretSchema = Type.Object({
  client: ClientSchema,
  clientSecret: Type.Optional(Type.String({ description: 'Shown once; store it now (confidential clients only)' })),
});
