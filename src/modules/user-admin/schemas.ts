import { Type } from 'typebox';
import { EmailSchema, NewPasswordSchema } from '../../core/schemas.js';
import { RoleNameSchema, UserIdSchema } from '../roles/schemas.js';
import { AccountTypeSchema, NameSchema, UpdateProfileBodySchema, UserSchema } from '../users/schemas.js';

/** A user as administrators see it: the public user plus lock state. */
export const ManagedUserSchema = Type.Object({
  ...UserSchema.properties,
  locked: Type.Boolean(),
  lockedUntil: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  lockReason: Type.Union([Type.String(), Type.Null()]),
});

export const ManagedUserEnvelopeSchema = Type.Object({ user: ManagedUserSchema });

export const CreateUserBodySchema = Type.Object(
  {
    email: EmailSchema,
    password: NewPasswordSchema,
    firstName: Type.Optional(NameSchema),
    lastName: Type.Optional(NameSchema),
    accountType: Type.Optional(AccountTypeSchema),
  },
  { additionalProperties: false },
);

export const ListUsersQuerySchema = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
    offset: Type.Integer({ minimum: 0, maximum: 1_000_000, default: 0 }),
    search: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    role: Type.Optional(RoleNameSchema),
    verified: Type.Optional(Type.Boolean({ description: 'Only accounts whose email is (or is not) verified' })),
    locked: Type.Optional(Type.Boolean({ description: 'Only accounts that are (or are not) locked now' })),
    twoFactor: Type.Optional(Type.Boolean({ description: 'Only accounts with (or without) two-factor on' })),
  },
  { additionalProperties: false },
);

export const IdParamsSchema = Type.Object({ id: UserIdSchema });

export const UpdateUserBodySchema = UpdateProfileBodySchema;

export const DeleteUserBodySchema = Type.Union([
  Type.Object(
    { currentPassword: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })) },
    { additionalProperties: false },
  ),
  Type.Null(),
]);

export const LockBodySchema = Type.Union([
  Type.Object(
    {
      reason: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })),
      until: Type.Optional(Type.String({ format: 'date-time', description: 'Absent: locked until unlocked' })),
    },
    { additionalProperties: false },
  ),
  Type.Null(),
]);
