-- A change to a registered OpenID client (its secret, redirect URIs, grants, scopes) or its removal
-- is announced on `gatehouse_oidc_clients` with the client id, whichever code or operator makes it.
-- Instances keep the clients the provider reads on every request in memory and drop one when its id
-- is announced. A new client needs no announcement: a client that did not exist is never kept.
CREATE FUNCTION gatehouse_announce_oidc_client_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('gatehouse_oidc_clients', OLD.client_id);
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER oidc_clients_change AFTER UPDATE OR DELETE ON oidc_clients FOR EACH ROW
  EXECUTE FUNCTION gatehouse_announce_oidc_client_change();
