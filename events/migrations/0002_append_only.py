"""Make the log append-only in the database itself, not only in Python.

SQLite: BEFORE UPDATE / BEFORE DELETE triggers that RAISE(ABORT).
PostgreSQL: the same with a trigger function that raises an exception:

    CREATE FUNCTION log_entry_append_only() RETURNS trigger AS $$
    BEGIN RAISE EXCEPTION 'log_entry is append-only'; END $$ LANGUAGE plpgsql;
    CREATE TRIGGER log_entry_no_update BEFORE UPDATE OR DELETE ON log_entry
        FOR EACH ROW EXECUTE FUNCTION log_entry_append_only();
"""

from django.db import migrations

SQLITE = [
    "CREATE TRIGGER log_entry_no_update BEFORE UPDATE ON log_entry "
    "BEGIN SELECT RAISE(ABORT, 'log_entry is append-only'); END",
    "CREATE TRIGGER log_entry_no_delete BEFORE DELETE ON log_entry "
    "BEGIN SELECT RAISE(ABORT, 'log_entry is append-only'); END",
]
POSTGRESQL = [
    "CREATE FUNCTION log_entry_append_only() RETURNS trigger AS $$ "
    "BEGIN RAISE EXCEPTION 'log_entry is append-only'; END $$ LANGUAGE plpgsql",
    "CREATE TRIGGER log_entry_no_update BEFORE UPDATE OR DELETE ON log_entry "
    "FOR EACH ROW EXECUTE FUNCTION log_entry_append_only()",
]


def install(apps, schema_editor):
    statements = {"sqlite": SQLITE, "postgresql": POSTGRESQL}.get(schema_editor.connection.vendor, [])
    for sql in statements:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("events", "0001_log")]
    operations = [migrations.RunPython(install, migrations.RunPython.noop, hints={"index": False})]
