import { Type } from 'typebox';
import { DeviceInfoSchema } from '../../core/schemas.js';
import { passwordMaxLength } from '../../platform/password.js';
import { PasskeyAssertionSchema } from '../passkeys/schemas.js';

export const MethodSchema = Type.Union([Type.Literal('totp'), Type.Literal('sms')]);
const code = Type.String({ pattern: '^[0-9]{6}$', examples: ['123456'] });
const recoveryCode = Type.String({ minLength: 10, maxLength: 32, examples: ['k7qm2-x9tfw'] });
const password = Type.String({ minLength: 1, maxLength: passwordMaxLength });

export const EnableBodySchema = Type.Object({ method: MethodSchema, password }, { additionalProperties: false });

export const EnableResultSchema = Type.Object({
  method: MethodSchema,
  message: Type.String(),
  secret: Type.Optional(Type.String({ description: 'TOTP: base32, for manual entry' })),
  otpauthUri: Type.Optional(Type.String()),
  qrCode: Type.Optional(Type.String({ description: 'TOTP: the otpauth URI as an SVG data URL' })),
  otp: Type.Optional(Type.String({ description: 'SMS, only outside NODE_ENV=production' })),
});

/** With a bearer token: confirm enrollment. With an mfaToken: finish signing in. */
export const VerifyBodySchema = Type.Object(
  {
    mfaToken: Type.Optional(Type.String({ minLength: 16, maxLength: 256 })),
    method: Type.Optional(MethodSchema),
    code: Type.Optional(code),
    recoveryCode: Type.Optional(recoveryCode),
    passkey: Type.Optional(PasskeyAssertionSchema),
    deviceInfo: Type.Optional(DeviceInfoSchema),
  },
  { additionalProperties: false },
);

export const RecoveryCodesSchema = Type.Object({
  message: Type.String(),
  recoveryCodes: Type.Array(Type.String(), { description: 'Shown once; each works once' }),
});

export const DisableBodySchema = Type.Object(
  { password, code: Type.Optional(code), recoveryCode: Type.Optional(recoveryCode) },
  { additionalProperties: false },
);

export const RegenerateBodySchema = Type.Object({ password }, { additionalProperties: false });

export const MfaChallengeSchema = Type.Object({
  mfaRequired: Type.Literal(true),
  mfaToken: Type.String({ description: 'Single use, short-lived; send it to POST /auth/2fa/verify' }),
  methods: Type.Array(Type.String(), { examples: [['totp', 'recovery_code']] }),
  expiresIn: Type.Integer(),
});
