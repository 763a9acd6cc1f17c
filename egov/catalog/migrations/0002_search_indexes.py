"""PostgreSQL search support: the pg_trgm extension and GIN indexes for full-text and trigram
search over Procedure.search_text. A no-op on other databases (SQLite uses the in-process
fallback engine of egov.catalog.search)."""

from django.db import migrations

# The full-text expression is the one Django generates for
# SearchVector("search_text", config="simple"), so the planner can use the index.
FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS catalog_procedure_search_fts ON catalog_procedure "
    "USING gin (to_tsvector('simple'::regconfig, COALESCE(search_text, '')))",
    "CREATE INDEX IF NOT EXISTS catalog_procedure_search_trgm ON catalog_procedure "
    "USING gin (search_text gin_trgm_ops)",
]
BACKWARD = [
    "DROP INDEX IF EXISTS catalog_procedure_search_trgm",
    "DROP INDEX IF EXISTS catalog_procedure_search_fts",
]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for sql in FORWARD:
        schema_editor.execute(sql)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for sql in BACKWARD:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial")]

    operations = [migrations.RunPython(forward, backward)]
