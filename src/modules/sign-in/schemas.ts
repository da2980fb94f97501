import { Type } from 'typebox';
import { passwordMaxLength } from '../../platform/password.js';
import { EmailSchema } from '../registration/schemas.js';
import { DeviceInfoSchema } from '../sessions/schemas.js';

export const LoginBodySchema = Type.Object(
  {
    email: EmailSchema,
    // Any length up to the cap: accounts created before a policy change must still sign in.
    password: Type.String({ minLength: 1, maxLength: passwordMaxLength, examples: ['SecurePass123!'] }),
    deviceInfo: Type.Optional(DeviceInfoSchema),
  },
  { additionalProperties: false },
);
