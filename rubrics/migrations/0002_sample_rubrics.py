"""Install the sample rubrics (M§3), published as version 1 of each kind."""

from django.db import migrations
from django.utils import timezone

from rubrics import sample


def install(apps, schema_editor):
    sample.install(
        apps.get_model("rubrics", "Rubric"),
        apps.get_model("rubrics", "Criterion"),
        apps.get_model("rubrics", "GradeThreshold"),
        now=timezone.now(),
    )


class Migration(migrations.Migration):
    dependencies = [("rubrics", "0001_initial")]

    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
