"""Set-based writes from plain tuples, for the scheduled jobs (issue #8).

`bulk_create` builds a model instance per row and prepares every field of every instance;
at a million certificates that Python work, not the database, limited the jobs. Here a batch
is one `COPY` on PostgreSQL (the new primary keys, when asked for, taken from the sequence in
one query first) and elsewhere one multi-row INSERT (more only where the database caps the
parameters of a statement, SQLite), each column's values prepared by its field only where the
driver needs it (dates, times, JSON), with a memo: a job's rows share their `now` and a few
dates."""

from django.db import connections, models, router

PLAIN = (
    models.CharField,
    models.TextField,
    models.IntegerField,
    models.BooleanField,
    models.ForeignKey,
    models.AutoField,
)


class JSONText(str):
    """A JSON value already encoded (for a JSON column): `insert_rows` writes it as it is
    instead of encoding the string again."""

    __slots__ = ()


def id_array(ids):
    """The right-hand side of `pk__in=` for a batch of ids: on PostgreSQL one array parameter
    (`IN (SELECT unnest(%s::bigint[]))`), not thousands of placeholders to build and parse,
    written as its text (`{1,2,3}`) — psycopg's list dumper, in Python, took 5 ms for 5,000
    ids, a tenth of a job's own Python (issue #8); elsewhere the list itself."""
    from django.db import connection
    from django.db.models.expressions import RawSQL

    if connection.vendor == "postgresql":
        return RawSQL(
            "SELECT unnest(%s::bigint[])", ["{" + ",".join(map(str, map(int, ids))) + "}"]
        )
    return list(ids)


def _preparer(field, connection):
    if isinstance(field, PLAIN) and not isinstance(field, models.JSONField):
        return None
    if isinstance(field, models.JSONField):
        return lambda value: (
            value
            if type(value) is JSONText
            else connection.ops.adapt_json_value(value, field.encoder)
        )
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
        return _insert_copy(connection, opts, columns, names, rows, preparers, returning)
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


def _insert_copy(connection, opts, columns, names, rows, preparers, returning):
    """PostgreSQL: `COPY … FROM STDIN`, the rows formatted by psycopg's C code — the fastest
    way in (issue #8). COPY returns nothing, so with `returning` the primary keys are taken
    from the table's sequence first, in one query, and written with the rows."""
    import json

    json_columns = [i for i, f in enumerate(columns) if isinstance(f, models.JSONField)]
    encoders = {i: columns[i].encoder for i in json_columns}
    preparers = [(i, p) for i, p in preparers if i not in encoders]
    qn = connection.ops.quote_name
    ids = []
    with connection.cursor() as cursor:
        if returning:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [qn(opts.db_table), opts.pk.column, len(rows)],
            )
            ids = [r[0] for r in cursor.fetchall()]
            names = f"{qn(opts.pk.column)}, {names}"
        # identifiers from the model's metadata, quoted; the rows go as data, not as SQL
        with cursor.cursor.copy(f"COPY {qn(opts.db_table)} ({names}) FROM STDIN") as copy:
            for n, row in enumerate(rows):
                if preparers or encoders:
                    row = list(row)
                    for i, prepare in preparers:
                        row[i] = prepare(row[i])
                    for i, encoder in encoders.items():
                        if type(row[i]) is not JSONText:
                            row[i] = json.dumps(row[i], cls=encoder, ensure_ascii=False)
                copy.write_row((ids[n], *row) if returning else row)
    return ids


def insert_select(model, fields: list[str], queryset, values: list, *, returning: bool = False):
    """INSERT into `model`'s table, as `fields` (by field name), the rows `queryset` selects
    with `values` (one expression per field, resolved against `queryset`'s model, joins
    included): one `INSERT … SELECT`, the rows built by the database, none through Python
    (issue #8). Returns the new primary keys when `returning`."""
    if len(fields) != len(values):
        raise ValueError("insert_select needs one value per field")
    connection = connections[router.db_for_write(model)]
    opts = model._meta
    qn = connection.ops.quote_name
    names = [f"insert_{n}" for n in range(len(fields))]  # no clash with the source's fields
    select = queryset.order_by().values(**dict(zip(names, values, strict=True)))
    sql, params = select.query.get_compiler(connection=connection).as_sql()
    columns = ", ".join(qn(opts.get_field(name).column) for name in fields)
    tail = f" RETURNING {qn(opts.pk.column)}" if returning else ""
    with connection.cursor() as cursor:
        # identifiers from the model's metadata, quoted; the SELECT is the ORM's, with its
        # parameters
        cursor.execute(f"INSERT INTO {qn(opts.db_table)} ({columns}) {sql}{tail}", params)
        return [row[0] for row in cursor.fetchall()] if returning else []
