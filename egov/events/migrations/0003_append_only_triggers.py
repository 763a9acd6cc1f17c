"""Database-level append-only guard for the event log.

PostgreSQL: a trigger refuses UPDATE and DELETE of rows and TRUNCATE of the (non-empty) table.
A deliberate purge (records retention, resetting a test database) is possible only for a role
that owns the table, and only after `SET egov.events_purge = 'on'` in that session: the owner
could disable the trigger anyway, so this only makes the purge explicit. A runtime role that does
not own the table cannot bypass it.

SQLite (development): a trigger refuses UPDATE. DELETE is left to the application guard because
Django's test-database flush deletes rows and SQLite has no session setting to allow it.

The chain head table (events_chainhead) stays updatable.
"""

from django.db import migrations

PG_INSTALL = r"""
CREATE OR REPLACE FUNCTION egov_events_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    has_rows boolean;
BEGIN
    IF TG_OP IN ('DELETE', 'TRUNCATE')
       AND coalesce(current_setting('egov.events_purge', true), '') = 'on'
       AND pg_has_role(current_user,
                       (SELECT relowner FROM pg_class WHERE oid = TG_RELID), 'USAGE') THEN
        IF TG_OP = 'DELETE' THEN
            RETURN OLD;
        END IF;
        RETURN NULL;
    END IF;
    IF TG_OP = 'TRUNCATE' THEN
        EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I.%I)', TG_TABLE_SCHEMA, TG_TABLE_NAME)
            INTO has_rows;
        IF NOT has_rows THEN
            RETURN NULL;
        END IF;
    END IF;
    RAISE EXCEPTION 'events are append-only: % on %.% refused', TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'The event log is tamper-evident; corrections are new events.';
END;
$$;

DROP TRIGGER IF EXISTS events_event_append_only ON events_event;
CREATE TRIGGER events_event_append_only
    BEFORE UPDATE OR DELETE ON events_event
    FOR EACH ROW EXECUTE FUNCTION egov_events_refuse_change();

DROP TRIGGER IF EXISTS events_event_no_truncate ON events_event;
CREATE TRIGGER events_event_no_truncate
    BEFORE TRUNCATE ON events_event
    FOR EACH STATEMENT EXECUTE FUNCTION egov_events_refuse_change();
"""

PG_REMOVE = """
DROP TRIGGER IF EXISTS events_event_no_truncate ON events_event;
DROP TRIGGER IF EXISTS events_event_append_only ON events_event;
DROP FUNCTION IF EXISTS egov_events_refuse_change();
"""

SQLITE_INSTALL = """
CREATE TRIGGER IF NOT EXISTS events_event_no_update
BEFORE UPDATE ON events_event
BEGIN
    SELECT RAISE(ABORT, 'events are append-only: UPDATE on events_event refused');
END;
"""

SQLITE_REMOVE = "DROP TRIGGER IF EXISTS events_event_no_update;"


def install(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_INSTALL, params=None)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_INSTALL, params=None)


def remove(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_REMOVE, params=None)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_REMOVE, params=None)


class Migration(migrations.Migration):

    dependencies = [
        ("events", "0002_outbox"),
    ]

    operations = [
        migrations.RunPython(install, remove, elidable=False),
    ]
