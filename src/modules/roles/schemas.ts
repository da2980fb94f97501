import { Type } from 'typebox';

export const UserIdSchema = Type.Integer({ minimum: 1, maximum: 2_147_483_647, examples: [123] });
export const RoleNameSchema = Type.String({ pattern: '^[A-Z][A-Z0-9_]{0,49}$', examples: ['ADMIN'] });

export const RoleChangeBodySchema = Type.Object(
  { userId: UserIdSchema, roleName: RoleNameSchema },
  { additionalProperties: false },
);

export const UserIdParamsSchema = Type.Object({ userId: UserIdSchema });

export const UserAccessSchema = Type.Object({
  userId: Type.Integer(),
  roles: Type.Array(Type.String(), { examples: [['ADMIN', 'USER']] }),
  permissions: Type.Array(Type.String()),
});
