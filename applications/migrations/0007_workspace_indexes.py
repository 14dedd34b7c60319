"""Issue #8: the center's workspace at 1.1 million applications.

The list (newest change first) and the queues by state are read in index order. The center's
queue of submitted annual reviews (a certificates table, shown by the workspace) gets a partial
index in submitted order; it is raw SQL so that no model of another app changes (SQLite and
PostgreSQL both support partial indexes)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("applications", "0006_publicity_batches"),
        ("certificates", "0006_lookup_indexes"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="application",
            index=models.Index(fields=["updated_at", "id"], name="application_updated_idx"),
        ),
        migrations.AddIndex(
            model_name="application",
            index=models.Index(
                fields=["state", "updated_at", "id"], name="application_state_upd_idx"
            ),
        ),
        migrations.RunSQL(
            "CREATE INDEX annualreview_submitted_idx ON certificates_annualreview "
            "(submitted_at, id) WHERE state = 'submitted'",
            "DROP INDEX annualreview_submitted_idx",
        ),
    ]
