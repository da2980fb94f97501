-- A session's browser credential is part of what the access cache holds: its change is announced too.
DROP TRIGGER sessions_access_change ON sessions;
--> statement-breakpoint
CREATE TRIGGER sessions_access_change AFTER UPDATE ON sessions FOR EACH ROW
  WHEN (OLD.revoked_at IS DISTINCT FROM NEW.revoked_at
     OR OLD.expires_at IS DISTINCT FROM NEW.expires_at
     OR OLD.user_id IS DISTINCT FROM NEW.user_id
     OR OLD.browser_secret_hash IS DISTINCT FROM NEW.browser_secret_hash)
  EXECUTE FUNCTION gatehouse_announce_access_change();
