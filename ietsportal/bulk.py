"""Set-based writes from plain tuples, for the scheduled jobs (issue #8).

`bulk_create` builds a model instance per row and prepares every field of every instance;
at a million certificates that Python work, not the database, limited the jobs. Here a batch
is one multi-row INSERT (more only where the database caps the parameters of a statement,
SQLite), each column's values prepared by its field only where the driver needs it (dates,
times, JSON), with a memo: a job's rows share their `now` and a few dates."""

from django.db import connections, models, router

PLAIN = (
    models.CharField,
    models.TextField,
    models.IntegerField,
    models.BooleanField,
    models.ForeignKey,
    models.AutoField,
)


def id_array(ids, model=None):
    """The right-hand side of `pk__in=` for a batch of ids: on PostgreSQL one array parameter
    (`IN (SELECT unnest(%s::bigint[]))`), not thousands of placeholders to build and parse;
    elsewhere the list itself."""
    from django.db.models.expressions import RawSQL

    connection = connections[router.db_for_write(model) if model else "default"]
    if connection.vendor == "postgresql":
        return RawSQL("SELECT unnest(%s::bigint[])", [list(ids)])
    return list(ids)


def _preparer(field, connection):
    if isinstance(field, PLAIN) and not isinstance(field, models.JSONField):
        return None
    if isinstance(field, models.JSONField):
        return lambda value: connection.ops.adapt_json_value(value, field.encoder)
    memo = {}

    def prepare(value):
        try:
            return memo[value]
        except KeyError:
            memo[value] = prepared = field.get_db_prep_save(value, connection)
            return prepared
        except TypeError:  # unhashable
            return field.get_db_prep_save(value, connection)

    return prepare


def insert_rows(model, fields: list[str], rows: list[tuple], *, returning: bool = False):
    """INSERT `rows` (tuples in the order of `fields`, by field name) into `model`'s table.

    Every column the table requires must be among `fields`. Returns the new primary keys when
    `returning` (the database must support INSERT … RETURNING: PostgreSQL, SQLite ≥ 3.35)."""
    if not rows:
        return []
    connection = connections[router.db_for_write(model)]
    opts = model._meta
    columns = [opts.get_field(name) for name in fields]
    preparers = [(i, p) for i, f in enumerate(columns) if (p := _preparer(f, connection))]
    qn = connection.ops.quote_name
    names = ", ".join(qn(f.column) for f in columns)
    tail = f" RETURNING {qn(opts.pk.column)}" if returning else ""
    if connection.vendor == "postgresql":
        if not returning:
            return _insert_copy(connection, opts, columns, names, rows, preparers)
        return _insert_unnest(connection, opts, columns, names, tail, rows, preparers)
    width = len(columns)
    per_statement = max(1, (connection.features.max_query_params or 2**16 - 1) // width)
    # identifiers from the model's metadata, quoted; every value is a parameter
    head = f"INSERT INTO {qn(opts.db_table)} ({names}) VALUES "  # noqa: S608
    one = "(" + ", ".join(["%s"] * width) + ")"
    ids = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), per_statement):
            part = rows[start : start + per_statement]
            params = []
            for row in part:
                if preparers:
                    row = list(row)
                    for i, prepare in preparers:
                        row[i] = prepare(row[i])
                params.extend(row)
            cursor.execute(head + ", ".join([one] * len(part)) + tail, params)
            if returning:
                ids += [r[0] for r in cursor.fetchall()]
    return ids


def _insert_copy(connection, opts, columns, names, rows, preparers):
    """PostgreSQL without RETURNING: `COPY … FROM STDIN`, the rows formatted by psycopg's C
    code — the fastest way in, and no array of every column to build first (issue #8)."""
    import json

    json_columns = [i for i, f in enumerate(columns) if isinstance(f, models.JSONField)]
    encoders = {i: columns[i].encoder for i in json_columns}
    preparers = [(i, p) for i, p in preparers if i not in encoders]
    table = connection.ops.quote_name(opts.db_table)
    with connection.cursor() as cursor:
        # identifiers from the model's metadata, quoted; the rows go as data, not as SQL
        with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows:
                if preparers or encoders:
                    row = list(row)
                    for i, prepare in preparers:
                        row[i] = prepare(row[i])
                    for i, encoder in encoders.items():
                        row[i] = json.dumps(row[i], cls=encoder, ensure_ascii=False)
                copy.write_row(row)
    return []


def _insert_unnest(connection, opts, columns, names, tail, rows, preparers):
    """PostgreSQL: one array parameter per column, `INSERT … SELECT … FROM unnest(…)` — a
    statement of a few parameters whatever the number of rows (a VALUES list of 50,000
    placeholders costs more to build and parse than the rows cost to write)."""
    import json

    data = [list(column) for column in zip(*rows, strict=True)]
    json_columns = set()
    for i, field in enumerate(columns):
        if isinstance(field, models.JSONField):
            json_columns.add(i)
            data[i] = [json.dumps(v, cls=field.encoder, ensure_ascii=False) for v in data[i]]
    for i, prepare in preparers:
        if i not in json_columns:
            data[i] = [prepare(v) for v in data[i]]
    types = ["text" if i in json_columns else f.db_type(connection) for i, f in enumerate(columns)]
    aliases = [f"c{i}" for i in range(len(columns))]
    select = ", ".join(f"{a}::jsonb" if i in json_columns else a for i, a in enumerate(aliases))
    arrays = ", ".join(f"%s::{t}[]" for t in types)
    sql = (
        f"INSERT INTO {connection.ops.quote_name(opts.db_table)} ({names}) "  # noqa: S608
        f"SELECT {select} FROM unnest({arrays}) AS u({', '.join(aliases)}){tail}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, data)
        return [r[0] for r in cursor.fetchall()] if tail else []
