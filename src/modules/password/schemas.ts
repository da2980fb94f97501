import { Type } from 'typebox';
import { EmailSchema, NewPasswordSchema } from '../../core/schemas.js';
import { passwordMaxLength } from '../../platform/password.js';

export const ResetRequestBodySchema = Type.Object({ email: EmailSchema }, { additionalProperties: false });

export const ResetBodySchema = Type.Object(
  {
    token: Type.String({ minLength: 16, maxLength: 256, description: 'From the reset email' }),
    newPassword: NewPasswordSchema,
  },
  { additionalProperties: false },
);

export const ChangeBodySchema = Type.Object(
  {
    currentPassword: Type.String({ minLength: 1, maxLength: passwordMaxLength }),
    newPassword: NewPasswordSchema,
  },
  { additionalProperties: false },
);
