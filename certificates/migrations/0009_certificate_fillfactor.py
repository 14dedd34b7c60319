"""Issue #8: leave a tenth of each certificate page free (PostgreSQL `fillfactor`).

The scheduled jobs change certificates by the hundred thousand. With full pages every new row
version goes to another page and adds an entry to each of the table's seven indexes; with room
on the page, a change of columns no index reads (the re-evaluation reminder flags, the PDF) is
a heap-only (HOT) update that writes no index at all, and a status change stays on its page.
Rows already in the table are not moved: the setting applies as pages fill (or after VACUUM
FULL / CLUSTER). Other databases have no such setting; nothing happens there."""

from django.db import migrations

FILLFACTOR = 90


def set_fillfactor(apps, schema_editor, value=FILLFACTOR):
    if schema_editor.connection.vendor != "postgresql":
        return
    table = schema_editor.quote_name(apps.get_model("certificates", "Certificate")._meta.db_table)
    if value is None:
        schema_editor.execute(f"ALTER TABLE {table} RESET (fillfactor)")
    else:
        schema_editor.execute(f"ALTER TABLE {table} SET (fillfactor = {int(value)})")


def reset_fillfactor(apps, schema_editor):
    set_fillfactor(apps, schema_editor, value=None)


class Migration(migrations.Migration):
    dependencies = [("certificates", "0008_lean_review_indexes")]

    operations = [migrations.RunPython(set_fillfactor, reset_fillfactor)]
