-- Roles and permission strings of the API reference (seed 004), plus the admin
-- permissions the account-protection features use. Rows, not code: an operator
-- can inspect and extend them with SQL.
INSERT INTO "roles" ("name", "description") VALUES
  ('USER', 'Every account: manages its own profile'),
  ('ADMIN', 'Manages users and reads roles'),
  ('SUPER_ADMIN', 'Everything, including role assignment');
--> statement-breakpoint
INSERT INTO "permissions" ("name", "description") VALUES
  ('user.create_own', 'Create their own user profile'),
  ('user.read_own', 'Read their own user data'),
  ('user.update_own', 'Update their own user data'),
  ('user.delete_own', 'Delete their own user account'),
  ('user.create_all', 'Create any user'),
  ('user.read_all', 'Read any user data'),
  ('user.update_all', 'Update any user data'),
  ('user.delete_all', 'Delete any user'),
  ('role.read', 'View roles and permissions'),
  ('role.assign', 'Assign and remove roles'),
  ('role.create', 'Create new roles'),
  ('role.update', 'Update role permissions'),
  ('role.delete', 'Delete roles'),
  ('permission.manage', 'Manage all permissions'),
  ('user.lock', 'Lock and unlock accounts'),
  ('session.revoke_all', 'Sign a user out everywhere'),
  ('audit.read', 'Read the audit trail'),
  ('device.blacklist', 'Manage the device blacklist');
--> statement-breakpoint
INSERT INTO "role_permissions" ("role_id", "permission_id")
SELECT r.id, p.id FROM "roles" r JOIN "permissions" p ON p.name IN (
  'user.create_own', 'user.read_own', 'user.update_own', 'user.delete_own')
WHERE r.name = 'USER';
--> statement-breakpoint
INSERT INTO "role_permissions" ("role_id", "permission_id")
SELECT r.id, p.id FROM "roles" r JOIN "permissions" p ON p.name IN (
  'user.create_own', 'user.read_own', 'user.update_own', 'user.delete_own',
  'user.create_all', 'user.read_all', 'user.update_all', 'user.delete_all', 'role.read',
  'user.lock', 'session.revoke_all', 'audit.read', 'device.blacklist')
WHERE r.name = 'ADMIN';
--> statement-breakpoint
-- SUPER_ADMIN holds every permission, including any added by later migrations
-- (those migrations grant it explicitly, as this one does).
INSERT INTO "role_permissions" ("role_id", "permission_id")
SELECT r.id, p.id FROM "roles" r CROSS JOIN "permissions" p
WHERE r.name = 'SUPER_ADMIN';
