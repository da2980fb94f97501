import { Type } from 'typebox';
import { DeviceInfoSchema, EmailSchema } from '../../core/schemas.js';

const base64url = (maxLength: number) => Type.String({ minLength: 1, maxLength, pattern: '^[A-Za-z0-9_-]+$' });

export const PasskeySchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  name: Type.String({ examples: ['MacBook Touch ID'] }),
  createdAt: Type.String({ format: 'date-time' }),
  lastUsedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  deviceType: Type.String({ description: '`singleDevice`, or `multiDevice` for a passkey synced between devices' }),
  backedUp: Type.Boolean({ description: 'Whether the passkey is backed up (synced) by its provider' }),
  transports: Type.Array(Type.String(), { examples: [['internal', 'hybrid']] }),
});

// The JSON the browser's WebAuthn call produces (as @simplewebauthn/browser returns it); the verifier checks the rest.
const credentialFields = {
  id: base64url(1024),
  rawId: base64url(1024),
  type: Type.Literal('public-key'),
  clientExtensionResults: Type.Record(Type.String(), Type.Unknown()),
  authenticatorAttachment: Type.Optional(Type.Union([Type.Literal('platform'), Type.Literal('cross-platform')])),
};

export const RegistrationResponseSchema = Type.Object(
  {
    ...credentialFields,
    response: Type.Object(
      {
        clientDataJSON: base64url(4096),
        attestationObject: base64url(16_384),
        transports: Type.Optional(Type.Array(Type.String({ maxLength: 32 }), { maxItems: 10 })),
      },
      { additionalProperties: true },
    ),
  },
  { additionalProperties: false },
);

export const AuthenticationResponseSchema = Type.Object(
  {
    ...credentialFields,
    response: Type.Object(
      {
        clientDataJSON: base64url(4096),
        authenticatorData: base64url(4096),
        signature: base64url(1024),
        userHandle: Type.Optional(Type.String({ maxLength: 512 })),
      },
      { additionalProperties: true },
    ),
  },
  { additionalProperties: false },
);

const PasskeyName = Type.String({ minLength: 1, maxLength: 100, pattern: '\\S', examples: ['Work laptop'] });

export const RegisterVerifyBodySchema = Type.Object(
  { response: RegistrationResponseSchema, name: Type.Optional(PasskeyName) },
  { additionalProperties: false },
);

export const RenameBodySchema = Type.Object({ name: PasskeyName }, { additionalProperties: false });

export const PasskeyParamsSchema = Type.Object({ id: Type.String({ format: 'uuid' }) });

export const LoginOptionsBodySchema = Type.Union([
  Type.Object(
    {
      email: Type.Optional(EmailSchema),
      mfaToken: Type.Optional(
        Type.String({ minLength: 16, maxLength: 256, description: 'Options for the second step of this sign-in' }),
      ),
    },
    { additionalProperties: false },
  ),
  Type.Null(),
]);

export const LoginVerifyBodySchema = Type.Object(
  {
    challengeId: Type.String({ format: 'uuid' }),
    response: AuthenticationResponseSchema,
    deviceInfo: Type.Optional(DeviceInfoSchema),
  },
  { additionalProperties: false },
);

/** WebAuthn options as the browser API wants them (passed to `startRegistration` / `startAuthentication`). */
export const WebAuthnOptionsSchema = Type.Object(
  { challenge: Type.String(), rpId: Type.Optional(Type.String()), timeout: Type.Optional(Type.Integer()) },
  { additionalProperties: true },
);

export const LoginOptionsSchema = Type.Object({
  challengeId: Type.String({
    format: 'uuid',
    description: 'Send it back with the response to /auth/passkeys/login/verify or /auth/2fa/verify',
  }),
  options: WebAuthnOptionsSchema,
});

export const PasskeyAssertionSchema = Type.Object(
  { challengeId: Type.String({ format: 'uuid' }), response: AuthenticationResponseSchema },
  { additionalProperties: false },
);
