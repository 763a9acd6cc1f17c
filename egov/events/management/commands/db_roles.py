"""The PostgreSQL grants of the runtime role: what it may do, and what the event log keeps from it.

Production runs migrations as the role that owns the tables and the application (web and
worker) as a separate runtime role. The owner can switch triggers off; the runtime role cannot,
so for it the event log (and the LGSP message log, migration sharing 0002) is append-only, and
the chain heads move only through the owner's functions `egov_events_lock_head` /
`egov_events_advance_head` (migration events 0005).

    python manage.py db_roles --role egov_app            # print the SQL
    python manage.py db_roles --role egov_app --apply    # run it (connected as the owner)

Run it again after every `migrate` (new tables get the runtime grants; it is idempotent).
SQLite has no roles: it is the embedded/demo database, where whoever can write the file can do
anything, and the triggers only stop the application's own mistakes.
"""

from __future__ import annotations

import re
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction

GRANTS = """\
-- Run as the owner of the tables (the role that runs migrations), after every migrate.
GRANT USAGE ON SCHEMA {schema} TO {role};
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {role};
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {role};
-- The event log, its checkpoints and their timestamps, and the LGSP message log and its
-- checkpoints (egov/sharing): read and append only.
REVOKE UPDATE, DELETE, TRUNCATE
    ON events_event, events_eventcheckpoint, events_checkpointtimestamp, events_eventarchive,
    sharing_messagelogentry, sharing_messagelogcheckpoint FROM {role};
-- The event log's monthly partitions (PostgreSQL), table by table: the same.
DO $$ DECLARE p regclass; BEGIN FOR p IN SELECT inhrelid::regclass FROM pg_inherits
    WHERE inhparent = 'events_event'::regclass LOOP EXECUTE format(
    'REVOKE UPDATE, DELETE, TRUNCATE ON %s FROM {role}', p); END LOOP; END $$;
-- Next month's partition, made by the worker through the owner's function.
GRANT EXECUTE ON FUNCTION egov_events_ensure_partition(int, int, text) TO {role};
-- Chain heads: read only; they move through the owner's functions, one step onto the event
-- just appended (a trigger also refuses any other change by a non-owner).
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON events_chainhead FROM {role};
GRANT EXECUTE ON FUNCTION egov_events_lock_head(varchar) TO {role};
GRANT EXECUTE ON FUNCTION egov_events_advance_head(varchar, bigint, varchar) TO {role};
"""


def grants_sql(role: str, schema: str) -> str:
    return GRANTS.format(role=role, schema=schema)


class Command(BaseCommand):
    help = "In (hoặc chạy) lệnh phân quyền PostgreSQL cho vai trò chạy ứng dụng."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--role", required=True, help="Tên vai trò chạy ứng dụng.")
        parser.add_argument("--apply", action="store_true", help="Chạy luôn các lệnh.")

    def handle(self, *args: Any, **options: Any) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("Chỉ dùng cho PostgreSQL (SQLite không có vai trò).")
        role = options["role"]
        if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", role):
            raise CommandError("Tên vai trò chỉ gồm chữ thường, số và dấu gạch dưới.")
        with connection.cursor() as cursor:
            cursor.execute("SELECT quote_ident(current_schema())")
            schema = cursor.fetchone()[0]
        sql = grants_sql(role, schema)
        if not options["apply"]:
            self.stdout.write(sql, ending="")
            return
        with transaction.atomic(), connection.cursor() as cursor:
            for statement in sql.split(";\n"):
                lines = [ln for ln in statement.splitlines() if not ln.startswith("--")]
                if "".join(lines).strip():
                    cursor.execute("\n".join(lines))
        self.stdout.write(f"Đã phân quyền cho vai trò {role}.")
