"""Database guards for the chain heads and the checkpoints (security review #11, finding 11).

PostgreSQL:
- Checkpoints are append-only like events (the trigger function of 0003).
- The chain head moves only through two SECURITY DEFINER functions that run as the table owner:
  `egov_events_lock_head(chain)` (creates the chain at genesis if new, locks and returns its
  head) and `egov_events_advance_head(chain, seq, hash)`, which moves the head one step, and only
  onto the event just appended after it. A trigger refuses any other INSERT, UPDATE, DELETE or
  TRUNCATE of `events_chainhead` by a role that is not the owner, so a runtime role cannot rewind
  a head even when it was granted too much. `manage.py db_roles` prints the runtime role's grants.

SQLite (the embedded/demo default; no roles): triggers refuse DELETE of events and UPDATE or
DELETE of checkpoints. DELETE is allowed only on a connection where the application registered
`egov_events_purge_allowed()` and switched it on (resetting a test database); any other client
(the sqlite3 shell, another program) gets "no such function" and the DELETE fails.
"""

from django.db import migrations

PG_INSTALL = r"""
DROP TRIGGER IF EXISTS events_eventcheckpoint_append_only ON events_eventcheckpoint;
CREATE TRIGGER events_eventcheckpoint_append_only
    BEFORE UPDATE OR DELETE ON events_eventcheckpoint
    FOR EACH ROW EXECUTE FUNCTION egov_events_refuse_change();
DROP TRIGGER IF EXISTS events_eventcheckpoint_no_truncate ON events_eventcheckpoint;
CREATE TRIGGER events_eventcheckpoint_no_truncate
    BEFORE TRUNCATE ON events_eventcheckpoint
    FOR EACH STATEMENT EXECUTE FUNCTION egov_events_refuse_change();

CREATE OR REPLACE FUNCTION egov_events_guard_head() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    -- The owner (and so the SECURITY DEFINER functions below) may; nobody else.
    IF pg_has_role(current_user,
                   (SELECT relowner FROM pg_class WHERE oid = TG_RELID), 'USAGE') THEN
        IF TG_OP = 'DELETE' THEN
            RETURN OLD;
        ELSIF TG_OP = 'TRUNCATE' THEN
            RETURN NULL;
        END IF;
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'chain heads move only through egov_events_advance_head: % on %.% refused',
        TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

DROP TRIGGER IF EXISTS events_chainhead_guard ON events_chainhead;
CREATE TRIGGER events_chainhead_guard
    BEFORE INSERT OR UPDATE OR DELETE ON events_chainhead
    FOR EACH ROW EXECUTE FUNCTION egov_events_guard_head();
DROP TRIGGER IF EXISTS events_chainhead_no_truncate ON events_chainhead;
CREATE TRIGGER events_chainhead_no_truncate
    BEFORE TRUNCATE ON events_chainhead
    FOR EACH STATEMENT EXECUTE FUNCTION egov_events_guard_head();

CREATE OR REPLACE FUNCTION egov_events_lock_head(p_chain varchar)
RETURNS TABLE (head_seq bigint, head_hash varchar)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = {schema}, pg_temp AS $$
BEGIN
    RETURN QUERY SELECT h.seq, h.hash FROM events_chainhead h
        WHERE h.chain = p_chain FOR UPDATE;
    IF FOUND THEN
        RETURN;
    END IF;
    INSERT INTO events_chainhead (chain, seq, hash) VALUES (p_chain, 0, repeat('0', 64))
        ON CONFLICT (chain) DO NOTHING;
    RETURN QUERY SELECT h.seq, h.hash FROM events_chainhead h
        WHERE h.chain = p_chain FOR UPDATE;
END;
$$;

CREATE OR REPLACE FUNCTION egov_events_advance_head(p_chain varchar, p_seq bigint, p_hash varchar)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = {schema}, pg_temp AS $$
DECLARE
    cur_seq bigint;
    cur_hash varchar;
BEGIN
    SELECT h.seq, h.hash INTO cur_seq, cur_hash FROM events_chainhead h
        WHERE h.chain = p_chain FOR UPDATE;
    IF NOT FOUND OR p_seq <> cur_seq + 1 OR NOT EXISTS (
        SELECT 1 FROM events_event e
        WHERE e.chain = p_chain AND e.seq = p_seq AND e.hash = p_hash AND e.prev_hash = cur_hash
    ) THEN
        RAISE EXCEPTION 'chain head of % moves only onto the event appended right after it', p_chain
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    UPDATE events_chainhead SET seq = p_seq, hash = p_hash WHERE chain = p_chain;
END;
$$;

REVOKE ALL ON FUNCTION egov_events_lock_head(varchar) FROM PUBLIC;
REVOKE ALL ON FUNCTION egov_events_advance_head(varchar, bigint, varchar) FROM PUBLIC;

-- Upgrading: a runtime role that could append events before keeps appending (it now needs the
-- functions); `manage.py db_roles` gives the full set of grants.
DO $$
DECLARE
    grantee_name text;
BEGIN
    FOR grantee_name IN
        SELECT DISTINCT g.grantee FROM information_schema.role_table_grants g
        WHERE g.table_schema = current_schema() AND g.table_name = 'events_event'
          AND g.privilege_type = 'INSERT' AND g.grantee <> 'PUBLIC'
    LOOP
        EXECUTE format('GRANT EXECUTE ON FUNCTION egov_events_lock_head(varchar), '
                       'egov_events_advance_head(varchar, bigint, varchar) TO %I', grantee_name);
    END LOOP;
END;
$$;
"""

PG_REMOVE = """
DROP FUNCTION IF EXISTS egov_events_advance_head(varchar, bigint, varchar);
DROP FUNCTION IF EXISTS egov_events_lock_head(varchar);
DROP TRIGGER IF EXISTS events_chainhead_no_truncate ON events_chainhead;
DROP TRIGGER IF EXISTS events_chainhead_guard ON events_chainhead;
DROP FUNCTION IF EXISTS egov_events_guard_head();
DROP TRIGGER IF EXISTS events_eventcheckpoint_no_truncate ON events_eventcheckpoint;
DROP TRIGGER IF EXISTS events_eventcheckpoint_append_only ON events_eventcheckpoint;
"""

SQLITE_INSTALL = [
    """
    CREATE TRIGGER IF NOT EXISTS events_event_no_delete
    BEFORE DELETE ON events_event WHEN egov_events_purge_allowed() = 0
    BEGIN
        SELECT RAISE(ABORT, 'events are append-only: DELETE on events_event refused');
    END;
    """,
    """
    CREATE TRIGGER IF NOT EXISTS events_eventcheckpoint_no_update
    BEFORE UPDATE ON events_eventcheckpoint
    BEGIN
        SELECT RAISE(ABORT, 'events are append-only: UPDATE on events_eventcheckpoint refused');
    END;
    """,
    """
    CREATE TRIGGER IF NOT EXISTS events_eventcheckpoint_no_delete
    BEFORE DELETE ON events_eventcheckpoint WHEN egov_events_purge_allowed() = 0
    BEGIN
        SELECT RAISE(ABORT, 'events are append-only: DELETE on events_eventcheckpoint refused');
    END;
    """,
]

SQLITE_REMOVE = [
    "DROP TRIGGER IF EXISTS events_eventcheckpoint_no_delete;",
    "DROP TRIGGER IF EXISTS events_eventcheckpoint_no_update;",
    "DROP TRIGGER IF EXISTS events_event_no_delete;",
]


def _quote_schema(schema_editor) -> str:
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT quote_ident(current_schema())")
        return cursor.fetchone()[0]


def install(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        sql = PG_INSTALL.replace("{schema}", _quote_schema(schema_editor))
        schema_editor.execute(sql, params=None)
    elif vendor == "sqlite":
        for statement in SQLITE_INSTALL:
            schema_editor.execute(statement, params=None)


def remove(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_REMOVE, params=None)
    elif vendor == "sqlite":
        for statement in SQLITE_REMOVE:
            schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):

    dependencies = [
        ("events", "0004_checkpoints"),
    ]

    operations = [
        migrations.RunPython(install, remove, elidable=False),
    ]
