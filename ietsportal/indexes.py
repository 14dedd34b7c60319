from django.db import models


def index_where_set(prefix: str, field: str) -> models.Index:
    """An index of a nullable column over the rows where it is set (`<prefix>_<field>_set`):
    what a lookup by its value reads (a user's deletion check), while the rows the scheduled
    jobs write, all with the column empty, add no entry to it (issue #8)."""
    return models.Index(
        fields=[field],
        condition=models.Q(**{f"{field}__isnull": False}),
        name=f"{prefix}_{field}_set",
    )
