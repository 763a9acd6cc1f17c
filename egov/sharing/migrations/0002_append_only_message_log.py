"""The message log and its checkpoints are append-only, with the event log's own guard.

PostgreSQL: the event log's trigger function `egov_events_refuse_change()` (events 0003) refuses
UPDATE and DELETE of rows and TRUNCATE of a non-empty table, unless the table's owner switched
the deliberate purge on (`egov.events_purge`, egov.events.dbguard.purge_allowed). SQLite: UPDATE
refused; DELETE only on the application's own connection with its purge switch on (the function
`egov_events_purge_allowed()`, egov.events.dbguard).
"""

from django.db import migrations

TABLES = ("sharing_messagelogentry", "sharing_messagelogcheckpoint")


def _pg_install() -> str:
    parts = []
    for table in TABLES:
        parts.append(
            f"""
DROP TRIGGER IF EXISTS {table}_append_only ON {table};
CREATE TRIGGER {table}_append_only
    BEFORE UPDATE OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION egov_events_refuse_change();
DROP TRIGGER IF EXISTS {table}_no_truncate ON {table};
CREATE TRIGGER {table}_no_truncate
    BEFORE TRUNCATE ON {table}
    FOR EACH STATEMENT EXECUTE FUNCTION egov_events_refuse_change();
"""
        )
    return "\n".join(parts)


def _pg_remove() -> str:
    return "\n".join(
        f"DROP TRIGGER IF EXISTS {t}_no_truncate ON {t};\n"
        f"DROP TRIGGER IF EXISTS {t}_append_only ON {t};"
        for t in TABLES
    )


def _sqlite_install() -> list[str]:
    statements = []
    for table in TABLES:
        statements.append(
            f"""
            CREATE TRIGGER IF NOT EXISTS {table}_no_update BEFORE UPDATE ON {table}
            BEGIN
                SELECT RAISE(ABORT, 'message log is append-only: UPDATE on {table} refused');
            END;
            """
        )
        statements.append(
            f"""
            CREATE TRIGGER IF NOT EXISTS {table}_no_delete
            BEFORE DELETE ON {table} WHEN egov_events_purge_allowed() = 0
            BEGIN
                SELECT RAISE(ABORT, 'message log is append-only: DELETE on {table} refused');
            END;
            """
        )
    return statements


def _sqlite_remove() -> list[str]:
    return [
        f"DROP TRIGGER IF EXISTS {t}_{what};" for t in TABLES for what in ("no_update", "no_delete")
    ]


def install(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(_pg_install(), params=None)
    elif vendor == "sqlite":
        for statement in _sqlite_install():
            schema_editor.execute(statement, params=None)


def remove(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(_pg_remove(), params=None)
    elif vendor == "sqlite":
        for statement in _sqlite_remove():
            schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("sharing", "0001_initial"),
        ("events", "0005_guard_heads_and_checkpoints"),
    ]

    operations = [migrations.RunPython(install, remove)]
