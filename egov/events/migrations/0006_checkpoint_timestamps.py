"""RFC 3161 timestamp tokens of the event-log checkpoints (security review #11, finding 11).

Append-only like the checkpoints they stamp: on PostgreSQL the trigger function of 0003 refuses
UPDATE, DELETE and TRUNCATE (a purge only for the owner with `egov.events_purge` on); on SQLite
triggers refuse UPDATE, and DELETE except on the application's own connection with its purge
switch on (`egov/events/dbguard.py`).
"""

import django.db.models.deletion
from django.db import migrations, models

PG_INSTALL = """
DROP TRIGGER IF EXISTS events_checkpointtimestamp_append_only ON events_checkpointtimestamp;
CREATE TRIGGER events_checkpointtimestamp_append_only
    BEFORE UPDATE OR DELETE ON events_checkpointtimestamp
    FOR EACH ROW EXECUTE FUNCTION egov_events_refuse_change();
DROP TRIGGER IF EXISTS events_checkpointtimestamp_no_truncate ON events_checkpointtimestamp;
CREATE TRIGGER events_checkpointtimestamp_no_truncate
    BEFORE TRUNCATE ON events_checkpointtimestamp
    FOR EACH STATEMENT EXECUTE FUNCTION egov_events_refuse_change();
"""

PG_REMOVE = """
DROP TRIGGER IF EXISTS events_checkpointtimestamp_no_truncate ON events_checkpointtimestamp;
DROP TRIGGER IF EXISTS events_checkpointtimestamp_append_only ON events_checkpointtimestamp;
"""

SQLITE_INSTALL = [
    """
    CREATE TRIGGER IF NOT EXISTS events_checkpointtimestamp_no_update
    BEFORE UPDATE ON events_checkpointtimestamp
    BEGIN
        SELECT RAISE(ABORT, 'events are append-only: UPDATE on events_checkpointtimestamp refused');
    END;
    """,
    """
    CREATE TRIGGER IF NOT EXISTS events_checkpointtimestamp_no_delete
    BEFORE DELETE ON events_checkpointtimestamp WHEN egov_events_purge_allowed() = 0
    BEGIN
        SELECT RAISE(ABORT, 'events are append-only: DELETE on events_checkpointtimestamp refused');
    END;
    """,
]

SQLITE_REMOVE = [
    "DROP TRIGGER IF EXISTS events_checkpointtimestamp_no_delete;",
    "DROP TRIGGER IF EXISTS events_checkpointtimestamp_no_update;",
]


def install(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_INSTALL, params=None)
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
        ("events", "0005_guard_heads_and_checkpoints"),
    ]

    operations = [
        migrations.CreateModel(
            name="CheckpointTimestamp",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("token", models.TextField(verbose_name="dấu thời gian RFC 3161 (DER, base64)")),
                ("gen_time", models.DateTimeField(verbose_name="thời điểm theo TSA")),
                ("tsa", models.CharField(max_length=255, verbose_name="tổ chức cấp dấu thời gian")),
                ("created_at", models.DateTimeField(db_index=True, verbose_name="ghi lúc")),
                ("checkpoint", models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name="timestamp", to="events.eventcheckpoint", verbose_name="điểm chốt")),
            ],
            options={
                "verbose_name": "dấu thời gian của điểm chốt",
                "verbose_name_plural": "dấu thời gian của điểm chốt",
                "ordering": ["id"],
            },
        ),
        migrations.RunPython(install, remove, elidable=False),
    ]
