"""PostgreSQL full-text search over the normalised text of outgoing and incoming documents (GIN
indexes on the expression Django generates for SearchVector("search_text", config="simple")).
A no-op elsewhere: SQLite searches with LIKE."""

from django.db import migrations

TABLES = ["documents_outgoingdocument", "documents_incomingdocument"]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {table}_search_fts ON {table} "
            "USING gin (to_tsvector('simple'::regconfig, COALESCE(search_text, '')))"
        )


def backward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {table}_search_fts")


class Migration(migrations.Migration):
    dependencies = [("documents", "0002_document_types")]

    operations = [migrations.RunPython(forward, backward)]
