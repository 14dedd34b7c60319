"""Issue #8: the indexes of the public lookup. The certificate number by its upper case (the
lookup is case-insensitive); on PostgreSQL, pg_trgm and a trigram GIN index on the holders'
names, so a part of a name (Chinese included: trigrams of any letters) is found among a
million certificates without reading them all. Other databases get the number index only."""

import django.db.models.functions.text
from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations, models

NAME_INDEX = "accounts_organization_name_trgm"


def name_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {NAME_INDEX} ON accounts_organization "
            "USING gin (UPPER(name::text) gin_trgm_ops)"
        )


def drop_name_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {NAME_INDEX}")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_initial"),
        ("certificates", "0005_reconsideration"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="certificate",
            index=models.Index(
                django.db.models.functions.text.Upper("number"),
                name="certificate_number_upper",
            ),
        ),
        TrigramExtension(),
        migrations.RunPython(name_index, drop_name_index),
    ]
