import { Type } from 'typebox';

// At least one visible character: the service trims, and an all-blank name would become ''.
const name = Type.String({ minLength: 1, maxLength: 100, pattern: '\\S' });
// E.164: a plus, a country code, at most 15 digits in all.
export const PhoneNumberSchema = Type.String({ pattern: '^\\+[1-9][0-9]{6,14}$', examples: ['+14155550123'] });
export const AccountTypeSchema = Type.Union([Type.Literal('INDIVIDUAL'), Type.Literal('BUSINESS')], {
  default: 'INDIVIDUAL',
});

export const UserSchema = Type.Object({
  id: Type.Integer({ examples: [123] }),
  email: Type.String({ format: 'email' }),
  firstName: Type.Union([Type.String(), Type.Null()]),
  lastName: Type.Union([Type.String(), Type.Null()]),
  accountType: Type.String({ examples: ['INDIVIDUAL'] }),
  phoneNumber: Type.Union([Type.String(), Type.Null()]),
  emailVerified: Type.Boolean(),
  phoneVerified: Type.Boolean(),
  twoFactorMethods: Type.Array(Type.String(), { examples: [['totp']], description: 'Enabled second factors' }),
  roles: Type.Array(Type.String(), { examples: [['USER']] }),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
});

/** The seed's profile: `{ id, email, firstName, lastName, roles, permissions }` and the rest of the user. */
export const ProfileSchema = Type.Object({
  ...UserSchema.properties,
  permissions: Type.Array(Type.String(), { examples: [['user.read_own', 'user.update_own']] }),
});

export const UpdateProfileBodySchema = Type.Object(
  {
    firstName: Type.Optional(name),
    lastName: Type.Optional(name),
    phoneNumber: Type.Optional(Type.Union([PhoneNumberSchema, Type.Null()])),
  },
  { additionalProperties: false, minProperties: 1 },
);

export { name as NameSchema };
