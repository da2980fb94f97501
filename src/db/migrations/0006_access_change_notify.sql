-- Every change that can end a session's access or alter what the account may
-- do is announced on the channel `gatehouse_access`, whichever code (or
-- operator with psql) makes it. Instances cache sessions and accounts in
-- memory and drop an entry when its id is announced: 's:<session id>',
-- 'u:<user id>', or '*' for role and permission changes (everything).
CREATE FUNCTION gatehouse_announce_access_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_LEVEL = 'STATEMENT' THEN
    PERFORM pg_notify('gatehouse_access', '*');
  ELSIF TG_TABLE_NAME = 'user_roles' THEN
    IF TG_OP <> 'INSERT' THEN PERFORM pg_notify('gatehouse_access', 'u:' || OLD.user_id); END IF;
    IF TG_OP <> 'DELETE' THEN PERFORM pg_notify('gatehouse_access', 'u:' || NEW.user_id); END IF;
  ELSE
    -- sessions and users fire on UPDATE and DELETE only, so OLD names the row.
    PERFORM pg_notify('gatehouse_access', CASE TG_TABLE_NAME WHEN 'sessions' THEN 's:' ELSE 'u:' END || OLD.id);
  END IF;
  RETURN NULL;
END
$$;
--> statement-breakpoint
-- Touching last_active_at (every refresh, once a minute per reader) changes nothing a cache holds.
CREATE TRIGGER sessions_access_change AFTER UPDATE ON sessions FOR EACH ROW
  WHEN (OLD.revoked_at IS DISTINCT FROM NEW.revoked_at
     OR OLD.expires_at IS DISTINCT FROM NEW.expires_at
     OR OLD.user_id IS DISTINCT FROM NEW.user_id)
  EXECUTE FUNCTION gatehouse_announce_access_change();
--> statement-breakpoint
CREATE TRIGGER sessions_access_end AFTER DELETE ON sessions FOR EACH ROW
  EXECUTE FUNCTION gatehouse_announce_access_change();
--> statement-breakpoint
CREATE TRIGGER users_access_change AFTER UPDATE OR DELETE ON users FOR EACH ROW
  EXECUTE FUNCTION gatehouse_announce_access_change();
--> statement-breakpoint
CREATE TRIGGER user_roles_access_change AFTER INSERT OR UPDATE OR DELETE ON user_roles FOR EACH ROW
  EXECUTE FUNCTION gatehouse_announce_access_change();
--> statement-breakpoint
CREATE TRIGGER role_permissions_access_change AFTER INSERT OR UPDATE OR DELETE ON role_permissions
  FOR EACH STATEMENT EXECUTE FUNCTION gatehouse_announce_access_change();
--> statement-breakpoint
CREATE TRIGGER roles_access_change AFTER UPDATE OR DELETE ON roles
  FOR EACH STATEMENT EXECUTE FUNCTION gatehouse_announce_access_change();
--> statement-breakpoint
CREATE TRIGGER permissions_access_change AFTER UPDATE OR DELETE ON permissions
  FOR EACH STATEMENT EXECUTE FUNCTION gatehouse_announce_access_change();
