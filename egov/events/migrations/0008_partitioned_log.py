"""The event log partitioned by month on PostgreSQL (issue #19, "Partitioned history").

PostgreSQL: events_event becomes a table partitioned by RANGE (occurred_at), one partition per
calendar month in settings.TIME_ZONE (`events_event_pYYYY_MM`) and a DEFAULT partition as a
safety net (`events_event_default`). An existing table is converted in place: renamed, a
partitioned table made with the same columns, a partition for every month from its first event
to its last plus a few ahead, the rows copied, the id sequence carried over, the old table dropped,
its other indexes rebuilt under their names, the append-only triggers and the grants re-applied.

A unique index on a partitioned table must contain the partition key, so:
- the primary key is (id, occurred_at); ids stay unique because one sequence gives them;
- (chain, seq) and hash are unique per partition (indexes made on each partition by
  `egov_events_ensure_partition`); across partitions they are guaranteed by the append path
  (record_event locks the chain head and appends seq+1 onto it; the head moves only onto that
  event, egov_events_advance_head) and any duplicate is found by verify_events (a seq that does
  not follow). Django's model state keeps declaring them unique, which SQLite enforces as is.

Partitions are created by `egov_events_ensure_partition(year, month, tz)`, SECURITY DEFINER, so
that a runtime role that may not create tables (manage.py db_roles) still gets next month's
partition from the worker; it moves rows that fell into the DEFAULT partition into the new one.
Row triggers of the parent are cloned onto every partition; the TRUNCATE trigger is a statement
trigger, which is not, so the function puts one on each partition.

SQLite: nothing changes (only the EventArchive table is created).
"""

from django.conf import settings
from django.db import migrations, models


ENSURE_FUNCTION = r"""
CREATE OR REPLACE FUNCTION egov_events_ensure_partition(p_year int, p_month int, p_tz text)
RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = {schema}, pg_temp AS $$
DECLARE
    v_name text;
    v_next date;
    v_from timestamptz;
    v_to timestamptz;
BEGIN
    IF p_month NOT BETWEEN 1 AND 12 OR p_year NOT BETWEEN 2000 AND 2200 THEN
        RAISE EXCEPTION 'no event partition for %-%', p_year, p_month;
    END IF;
    v_name := format('events_event_p%s_%s', p_year, lpad(p_month::text, 2, '0'));
    -- One creator at a time; a month archived (detached, maybe dropped) is never made again.
    PERFORM pg_advisory_xact_lock(hashtext('egov.events.partitions'));
    IF to_regclass(v_name) IS NOT NULL
       OR EXISTS (SELECT 1 FROM events_eventarchive a, jsonb_array_elements_text(a.partitions) p
                  WHERE p = v_name) THEN
        RETURN NULL;
    END IF;
    v_next := make_date(p_year, p_month, 1) + interval '1 month';
    v_from := make_timestamptz(p_year, p_month, 1, 0, 0, 0, p_tz);
    v_to := make_timestamptz(extract(year FROM v_next)::int, extract(month FROM v_next)::int,
                             1, 0, 0, 0, p_tz);
    IF EXISTS (SELECT 1 FROM events_event_default
               WHERE occurred_at >= v_from AND occurred_at < v_to) THEN
        -- Rows that landed in the safety net move into their month, in this transaction.
        EXECUTE format('CREATE TABLE %I (LIKE events_event INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', v_name);
        EXECUTE format('INSERT INTO %I SELECT * FROM events_event_default '
                       'WHERE occurred_at >= $1 AND occurred_at < $2', v_name) USING v_from, v_to;
        PERFORM set_config('egov.events_purge', 'on', true);
        DELETE FROM events_event_default WHERE occurred_at >= v_from AND occurred_at < v_to;
        PERFORM set_config('egov.events_purge', '', true);
        EXECUTE format('ALTER TABLE events_event ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)',
                       v_name, v_from, v_to);
    ELSE
        EXECUTE format('CREATE TABLE %I PARTITION OF events_event FOR VALUES FROM (%L) TO (%L)',
                       v_name, v_from, v_to);
    END IF;
    PERFORM egov_events_partition_guards(v_name);
    RETURN v_name;
END;
$$;

CREATE OR REPLACE FUNCTION egov_events_partition_guards(p_name text)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = {schema}, pg_temp AS $$
BEGIN
    EXECUTE format('CREATE UNIQUE INDEX IF NOT EXISTS %I ON %I (chain, seq)',
                   p_name || '_chain_seq', p_name);
    EXECUTE format('CREATE UNIQUE INDEX IF NOT EXISTS %I ON %I (hash)', p_name || '_hash', p_name);
    EXECUTE format('DROP TRIGGER IF EXISTS events_event_no_truncate ON %I', p_name);
    EXECUTE format('CREATE TRIGGER events_event_no_truncate BEFORE TRUNCATE ON %I '
                   'FOR EACH STATEMENT EXECUTE FUNCTION egov_events_refuse_change()', p_name);
END;
$$;

REVOKE ALL ON FUNCTION egov_events_ensure_partition(int, int, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION egov_events_partition_guards(text) FROM PUBLIC;
"""

ARCHIVE_GUARD = """
DROP TRIGGER IF EXISTS events_eventarchive_append_only ON events_eventarchive;
CREATE TRIGGER events_eventarchive_append_only
    BEFORE UPDATE OR DELETE ON events_eventarchive
    FOR EACH ROW EXECUTE FUNCTION egov_events_refuse_change();
DROP TRIGGER IF EXISTS events_eventarchive_no_truncate ON events_eventarchive;
CREATE TRIGGER events_eventarchive_no_truncate
    BEFORE TRUNCATE ON events_eventarchive
    FOR EACH STATEMENT EXECUTE FUNCTION egov_events_refuse_change();
"""

EVENT_TRIGGERS = """
CREATE TRIGGER events_event_append_only
    BEFORE UPDATE OR DELETE ON events_event
    FOR EACH ROW EXECUTE FUNCTION egov_events_refuse_change();
CREATE TRIGGER events_event_no_truncate
    BEFORE TRUNCATE ON events_event
    FOR EACH STATEMENT EXECUTE FUNCTION egov_events_refuse_change();
"""

# Months made ahead by the migration; the worker keeps EVENT_PARTITIONS_AHEAD ahead after that.
AHEAD = 3

SQLITE_ARCHIVE_GUARD = [
    """
    CREATE TRIGGER IF NOT EXISTS events_eventarchive_no_update
    BEFORE UPDATE ON events_eventarchive
    BEGIN
        SELECT RAISE(ABORT, 'events are append-only: UPDATE on events_eventarchive refused');
    END;
    """,
    """
    CREATE TRIGGER IF NOT EXISTS events_eventarchive_no_delete
    BEFORE DELETE ON events_eventarchive WHEN egov_events_purge_allowed() = 0
    BEGIN
        SELECT RAISE(ABORT, 'events are append-only: DELETE on events_eventarchive refused');
    END;
    """,
]


def _months(first, last):
    year, month = first
    while (year, month) <= last:
        yield year, month
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def partition(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor == "sqlite":
        for statement in SQLITE_ARCHIVE_GUARD:
            schema_editor.execute(statement, params=None)
        return
    if connection.vendor != "postgresql":
        return
    tz = settings.TIME_ZONE
    with connection.cursor() as cursor:
        cursor.execute("SELECT quote_ident(current_schema())")
        schema = cursor.fetchone()[0]
        cursor.execute(ARCHIVE_GUARD)
        cursor.execute("SELECT relkind FROM pg_class WHERE oid = 'events_event'::regclass")
        if cursor.fetchone()[0] == "p":
            return  # already partitioned
        cursor.execute("LOCK TABLE events_event IN ACCESS EXCLUSIVE MODE")
        # What to carry over: grants, the indexes that are not the unique ones, the sequence.
        cursor.execute(
            """SELECT grantee, string_agg(privilege_type, ', ')
               FROM information_schema.role_table_grants
               WHERE table_schema = current_schema() AND table_name = 'events_event'
                 AND grantee <> (SELECT tableowner FROM pg_tables
                                 WHERE schemaname = current_schema()
                                   AND tablename = 'events_event')
               GROUP BY grantee"""
        )
        grants = cursor.fetchall()
        cursor.execute(
            """SELECT c.relname, pg_get_indexdef(i.indexrelid), i.indisunique
               FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
               WHERE i.indrelid = 'events_event'::regclass"""
        )
        indexes = cursor.fetchall()
        cursor.execute("SELECT pg_get_serial_sequence('events_event', 'id')")
        old_sequence = cursor.fetchone()[0]
        cursor.execute(f"SELECT last_value, is_called FROM {old_sequence}")  # noqa: S608
        last_value, is_called = cursor.fetchone()
        cursor.execute(
            "SELECT (min(occurred_at) AT TIME ZONE %s)::date, (max(occurred_at) AT TIME ZONE %s)::date, "
            "(now() AT TIME ZONE %s)::date FROM events_event",
            [tz, tz, tz],
        )
        first, last, today = cursor.fetchone()
        # Out of the way, names included (index names are per schema).
        cursor.execute("ALTER TABLE events_event RENAME TO events_event_old")
        for name, _definition, _unique in indexes:
            cursor.execute(f'ALTER INDEX "{name}" RENAME TO "{name[:50]}_old"')
        cursor.execute(f"ALTER SEQUENCE {old_sequence} RENAME TO events_event_old_id_seq")
        cursor.execute(
            "CREATE TABLE events_event (LIKE events_event_old INCLUDING DEFAULTS INCLUDING CONSTRAINTS) "
            "PARTITION BY RANGE (occurred_at)"
        )
        cursor.execute("CREATE SEQUENCE events_event_id_seq OWNED BY events_event.id")
        cursor.execute("SELECT setval('events_event_id_seq', %s, %s)", [last_value, is_called])
        cursor.execute(
            "ALTER TABLE events_event ALTER COLUMN id SET DEFAULT nextval('events_event_id_seq')"
        )
        cursor.execute(EVENT_TRIGGERS)
        cursor.execute("CREATE TABLE events_event_default PARTITION OF events_event DEFAULT")
        cursor.execute(ENSURE_FUNCTION.replace("{schema}", schema))
        cursor.execute("SELECT egov_events_partition_guards('events_event_default')")
        start = (first.year, first.month) if first else (today.year, today.month)
        end_year, end_month = (last.year, last.month) if last else (today.year, today.month)
        end_year, end_month = max((end_year, end_month), (today.year, today.month))
        end_month += AHEAD
        end_year, end_month = end_year + (end_month - 1) // 12, (end_month - 1) % 12 + 1
        for year, month in _months(start, (end_year, end_month)):
            cursor.execute("SELECT egov_events_ensure_partition(%s, %s, %s)", [year, month, tz])
        cursor.execute("INSERT INTO events_event SELECT * FROM events_event_old")
        cursor.execute("DROP TABLE events_event_old")
        cursor.execute("ALTER TABLE events_event ADD PRIMARY KEY (id, occurred_at)")
        for name, definition, unique in indexes:
            if unique:
                continue  # the primary key, (chain, seq), hash: see the module docstring
            cursor.execute(definition)  # read before the rename: the original name and table
        for grantee, privileges in grants:
            cursor.execute(f'GRANT {privileges} ON events_event TO "{grantee}"')
            cursor.execute(f'GRANT USAGE, SELECT ON SEQUENCE events_event_id_seq TO "{grantee}"')
            cursor.execute(
                "GRANT EXECUTE ON FUNCTION egov_events_ensure_partition(int, int, text) "
                f'TO "{grantee}"'
            )
        cursor.execute("ANALYZE events_event")


def unpartition(apps, schema_editor):
    """Back to one table (every attached partition's rows; detached months stay detached)."""
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT relkind FROM pg_class WHERE oid = 'events_event'::regclass")
        if cursor.fetchone()[0] != "p":
            return
        cursor.execute("SELECT last_value, is_called FROM events_event_id_seq")
        last_value, is_called = cursor.fetchone()
        cursor.execute("ALTER TABLE events_event RENAME TO events_event_part")
        cursor.execute(
            "CREATE TABLE events_event_plain (LIKE events_event_part INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"
        )
        cursor.execute("ALTER TABLE events_event_plain ALTER COLUMN id DROP DEFAULT")
        cursor.execute("INSERT INTO events_event_plain SELECT * FROM events_event_part")
        cursor.execute("DROP TABLE events_event_part CASCADE")
        cursor.execute("ALTER TABLE events_event_plain RENAME TO events_event")
        cursor.execute(
            "ALTER TABLE events_event ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY"
        )
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('events_event', 'id'), %s, %s)",
            [last_value, is_called],
        )
        cursor.execute("ALTER TABLE events_event ADD PRIMARY KEY (id)")
        cursor.execute("ALTER TABLE events_event ADD CONSTRAINT event_chain_seq UNIQUE (chain, seq)")
        cursor.execute("ALTER TABLE events_event ADD CONSTRAINT events_event_hash_key UNIQUE (hash)")
        for column in ("occurred_at", "agency_id", "event_type"):
            cursor.execute(f"CREATE INDEX ON events_event ({column})")
        cursor.execute(
            'CREATE INDEX "events_even_subject_dc5df2_idx" '
            "ON events_event (subject_type, subject_id, id)"
        )
        cursor.execute(EVENT_TRIGGERS)
        cursor.execute("DROP FUNCTION IF EXISTS egov_events_ensure_partition(int, int, text)")
        cursor.execute("DROP FUNCTION IF EXISTS egov_events_partition_guards(text)")


class Migration(migrations.Migration):

    dependencies = [
        ('events', '0007_labels_in_vietnamese'),
    ]

    operations = [
        migrations.CreateModel(
            name='EventArchive',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(db_index=True, verbose_name='ghi lúc')),
                ('first_month', models.DateField(verbose_name='từ tháng')),
                ('last_month', models.DateField(verbose_name='đến tháng')),
                ('range_start', models.DateTimeField(verbose_name='từ thời điểm')),
                ('range_end', models.DateTimeField(verbose_name='đến trước thời điểm')),
                ('partitions', models.JSONField(default=list, verbose_name='các phân vùng')),
                ('rows', models.PositiveBigIntegerField(verbose_name='số sự kiện')),
                ('chains', models.JSONField(default=dict, verbose_name='các chuỗi')),
                ('dump_file', models.CharField(blank=True, max_length=500, verbose_name='tệp sao lưu')),
                ('dump_sha256', models.CharField(blank=True, max_length=64, verbose_name='SHA-256 của tệp sao lưu')),
                ('dropped', models.BooleanField(default=False, verbose_name='đã xóa bảng')),
                ('actor_label', models.CharField(blank=True, max_length=150, verbose_name='người thực hiện')),
            ],
            options={
                'verbose_name': 'đợt lưu trữ nhật ký',
                'verbose_name_plural': 'các đợt lưu trữ nhật ký',
                'ordering': ['id'],
            },
        ),
        migrations.RunPython(partition, unpartition, elidable=False),
    ]
