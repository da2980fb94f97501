import { Type } from 'typebox';
import { passwordMaxLength, passwordMinLength } from '../../platform/password.js';
import { DeviceInfoSchema } from '../sessions/schemas.js';
import { AccountTypeSchema, NameSchema } from '../users/schemas.js';

export const EmailSchema = Type.String({ format: 'email', maxLength: 254, examples: ['user@example.com'] });
export const NewPasswordSchema = Type.String({
  minLength: passwordMinLength,
  maxLength: passwordMaxLength,
  examples: ['SecurePass123!'],
});
export const OtpSchema = Type.String({ pattern: '^[0-9]{6}$', examples: ['123456'] });

export const RegisterBodySchema = Type.Object(
  {
    email: EmailSchema,
    password: NewPasswordSchema,
    firstName: Type.Optional(NameSchema),
    lastName: Type.Optional(NameSchema),
    accountType: Type.Optional(AccountTypeSchema),
  },
  { additionalProperties: false },
);

export const VerifyEmailBodySchema = Type.Object(
  { email: EmailSchema, otp: OtpSchema, deviceInfo: Type.Optional(DeviceInfoSchema) },
  { additionalProperties: false },
);

export const ResendBodySchema = Type.Object({ email: EmailSchema }, { additionalProperties: false });

/** The seed's `{ message, otp (dev only) }`; `otp` never appears in production. */
export const CodeSentSchema = Type.Object({
  message: Type.String(),
  otp: Type.Optional(Type.String({ description: 'Only outside NODE_ENV=production' })),
});
