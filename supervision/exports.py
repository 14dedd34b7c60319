"""Exports of the filtered lists (applications, certificates, cases) as CSV and XLSX.

Rows come from one `values_list` query read with `.iterator(chunk_size=…)`, so memory stays
constant whatever the number of rows; CSV is streamed, XLSX is written by xlsxwriter in
`constant_memory` mode to a temporary file. Long exports run in the worker (`tasks.py`).
Every text cell that a spreadsheet would read as a formula is neutralised."""

import csv
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _

from applications.enums import ApplicationState, EvaluationKind, Grade
from applications.models import Application
from certificates.enums import CertificateStatus
from certificates.models import Certificate
from ietsportal.accounts.regions import REGION_CHOICES
from ietsportal.csvsafe import neutralise
from ietsportal.errors import InvalidInput

from .conf import setting
from .enums import OPEN_CASE_STATES, CaseKind, CaseState, SubjectKind
from .models import Case

# ---- formula injection (CWE-1236)

# ---- datasets


@dataclass(frozen=True)
class Column:
    header: str
    path: str
    choices: dict | None = None


@dataclass(frozen=True)
class Filter:
    label: str
    apply: Callable  # (queryset, raw value) -> queryset; raises InvalidInput
    choices: list = field(default_factory=list)


def _choice(lookup, enum_choices):
    values = {str(v) for v, _label in enum_choices}

    def apply(qs, raw):
        if raw not in values:
            raise InvalidInput(_g("Unknown filter value “%(v)s”.") % {"v": raw[:40]})
        return qs.filter(**{lookup: raw})

    return apply


def _small_number(raw: str) -> bool:
    """ASCII digits only ("²" is a digit to Python) and small enough for any integer column."""
    return raw.isascii() and raw.isdigit() and len(raw) <= 9


def _integer(lookup):
    def apply(qs, raw):
        if not _small_number(raw):
            raise InvalidInput(_g("Unknown filter value “%(v)s”.") % {"v": raw[:40]})
        return qs.filter(**{lookup: int(raw)})

    return apply


def _date(lookup):
    def apply(qs, raw):
        try:
            day = date.fromisoformat(raw)
        except ValueError:
            raise InvalidInput(_g("Dates are written YYYY-MM-DD.")) from None
        return qs.filter(**{lookup: day})

    return apply


def _case_state(qs, raw):
    if raw == "open":
        return qs.filter(state__in=OPEN_CASE_STATES)
    return _choice("state", CaseState.choices)(qs, raw)


def _received_days_ago(lookup):
    """Cases received more (or fewer) than N days ago: the dashboard's age buckets."""

    def apply(qs, raw):
        if not _small_number(raw) or int(raw) > 36500:
            raise InvalidInput(_g("Unknown filter value “%(v)s”.") % {"v": raw[:40]})
        return qs.filter(**{lookup: timezone.now() - timedelta(days=int(raw))})

    return apply


@dataclass(frozen=True)
class Dataset:
    name: str
    label: str
    model: type[models.Model]
    columns: tuple[Column, ...]
    filters: dict[str, Filter]
    order_by: tuple[str, ...] = ("pk",)

    def queryset(self, user, params) -> models.QuerySet:
        qs = self.model.objects.for_user(user)
        for name, flt in self.filters.items():
            raw = (params.get(name) or "").strip()
            if raw:
                qs = flt.apply(qs, raw[:64])
        return qs

    def active_filters(self, params) -> dict:
        return {
            k: params.get(k).strip()[:64] for k in self.filters if (params.get(k) or "").strip()
        }

    def rows(self, qs, window: slice | None = None) -> Iterator[list]:
        """Display values, one list per row, read in chunks: one query, constant memory."""
        paths = [c.path for c in self.columns]
        # the labels translated once per export, not once per cell (a lazy label's str() is a
        # catalogue lookup: a third of the export's time at 100,000 rows, issue #8)
        choices = [
            None if c.choices is None else {k: str(v) for k, v in c.choices.items()}
            for c in self.columns
        ]
        chunk = setting("EXPORT_CHUNK_SIZE")
        qs = qs.order_by(*self.order_by).values_list(*paths)
        if window is not None:
            qs = qs[window]
        for values in qs.iterator(chunk_size=chunk):
            yield [_display(v, ch) for v, ch in zip(values, choices, strict=True)]

    @property
    def headers(self) -> list[str]:
        return [str(c.header) for c in self.columns]


def _display(value, choices):
    if value is None:
        return ""
    if choices is not None:
        return str(choices.get(value, value))
    if isinstance(value, datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        return value
    return value if isinstance(value, int | float) else str(value)


def _labels(enum_choices):
    return {v: label for v, label in enum_choices}


def _datasets() -> dict[str, Dataset]:
    def institution_filter():
        return Filter(_("Institution"), _integer("institution_id"))

    regions = list(REGION_CHOICES)
    return {
        "applications": Dataset(
            "applications",
            _("Applications"),
            Application,
            (
                Column(_("Number"), "number"),
                Column(_("Organisation"), "organization__name"),
                Column(_("USCC"), "organization__uscc"),
                Column(_("Institution"), "institution__name"),
                Column(_("Kind"), "kind", _labels(EvaluationKind.choices)),
                Column(_("Requested grade"), "requested_grade"),
                Column(_("State"), "state", _labels(ApplicationState.choices)),
                Column(_("Created"), "created_at"),
                Column(_("Submitted"), "submitted_at"),
                Column(_("Final grade"), "final_grade"),
            ),
            {
                "state": Filter(
                    _("State"), _choice("state", ApplicationState.choices), ApplicationState.choices
                ),
                "kind": Filter(
                    _("Kind"), _choice("kind", EvaluationKind.choices), EvaluationKind.choices
                ),
                "institution": institution_filter(),
            },
        ),
        "certificates": Dataset(
            "certificates",
            _("Certificates"),
            Certificate,
            (
                Column(_("Number"), "number"),
                Column(_("Holder"), "organization__name"),
                Column(_("USCC"), "organization__uscc"),
                Column(_("Region"), "organization__region", _labels(regions)),
                Column(_("Institution"), "institution__name"),
                Column(_("Kind"), "kind", _labels(EvaluationKind.choices)),
                Column(_("Grade"), "grade"),
                Column(_("Status"), "status", _labels(CertificateStatus.choices)),
                Column(_("Issued on"), "issued_on"),
                Column(_("Valid until"), "expires_on"),
            ),
            {
                "status": Filter(
                    _("Status"),
                    _choice("status", CertificateStatus.choices),
                    CertificateStatus.choices,
                ),
                "grade": Filter(_("Grade"), _choice("grade", Grade.choices), Grade.choices),
                "region": Filter(_("Region"), _choice("organization__region", regions), regions),
                "institution": institution_filter(),
                "expires_from": Filter(_("Valid until, from"), _date("expires_on__gte")),
                "expires_to": Filter(_("Valid until, to"), _date("expires_on__lte")),
                "review_due_to": Filter(_("Annual review due by"), _review_due_to),
            },
        ),
        "cases": Dataset(
            "cases",
            _("Cases"),
            Case,
            (
                Column(_("Number"), "number"),
                Column(_("Kind"), "kind", _labels(CaseKind.choices)),
                Column(_("State"), "state", _labels(CaseState.choices)),
                Column(_("It concerns"), "subject_kind", _labels(SubjectKind.choices)),
                Column(_("Summary"), "summary"),
                Column(_("Received"), "received_at"),
                Column(_("Deadline"), "deadline"),
                Column(_("Owner"), "owner__username"),
                Column(_("Decided"), "decided_at"),
            ),
            {
                "state": Filter(
                    _("State"),
                    _case_state,
                    [("open", _("Open")), *CaseState.choices],
                ),
                "kind": Filter(_("Kind"), _choice("kind", CaseKind.choices), CaseKind.choices),
                "older_than": Filter(
                    _("Received more than N days ago"), _received_days_ago("received_at__lt")
                ),
                "newer_than": Filter(
                    _("Received less than N days ago"), _received_days_ago("received_at__gte")
                ),
            },
        ),
    }


def _review_due_to(qs, raw):
    from certificates.enums import AnnualReviewState
    from certificates.models import AnnualReview

    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(_g("Dates are written YYYY-MM-DD.")) from None
    return qs.filter(
        pk__in=models.Subquery(
            AnnualReview.objects.filter(state=AnnualReviewState.DUE, due_on__lte=day).values(
                "certificate_id"
            )
        )
    )


def dataset(name: str) -> Dataset:
    found = _datasets().get(name)
    if found is None:
        from ietsportal.errors import NotFound

        raise NotFound()
    return found


# ---- writers


class _Echo:
    def write(self, value):
        return value


def csv_lines(headers: list[str], rows: Iterable[list]) -> Iterator[str]:
    """CSV with a BOM (Excel reads the Chinese right), one line per yield."""
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow([neutralise(h) for h in headers])
    for row in rows:
        yield writer.writerow([neutralise(v) for v in row])


def xlsx_write(path: str, headers: list[str], rows: Iterable[list], progress=None) -> int:
    """Write an XLSX file row by row (xlsxwriter's constant_memory): text is always written
    as a string, never as a formula."""
    import xlsxwriter

    workbook = xlsxwriter.Workbook(
        path,
        {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
            "tmpdir": tempfile.gettempdir(),
        },
    )
    sheet = workbook.add_worksheet()
    bold = workbook.add_format({"bold": True})
    for col, header in enumerate(headers):
        sheet.write_string(0, col, neutralise(header), bold)
    count = 0
    for count, row in enumerate(rows, start=1):
        for col, value in enumerate(row):
            if isinstance(value, bool) or not isinstance(value, int | float):
                sheet.write_string(count, col, neutralise(str(value)))
            else:
                sheet.write_number(count, col, value)
        if progress is not None and count % 500 == 0:
            progress(count)
    workbook.close()
    return count


def csv_write(path: str, headers: list[str], rows: Iterable[list], progress=None) -> int:
    count = -1
    with open(path, "w", encoding="utf-8", newline="") as out:
        for count, line in enumerate(csv_lines(headers, rows)):
            out.write(line)
            if progress is not None and count and count % 500 == 0:
                progress(count)
    return max(count, 0)


def xlsx_temporary(headers, rows):
    """An XLSX in a temporary file, already unlinked: the open handle is all that is left."""
    fd, path = tempfile.mkstemp(suffix=".xlsx")
    os.close(fd)
    try:
        xlsx_write(path, headers, rows)
        handle = open(path, "rb")
    finally:
        os.unlink(path)
    return handle


def export_filename(ds: Dataset, fmt: str, now: datetime) -> str:
    return f"{ds.name}-{timezone.localtime(now).strftime('%Y%m%d-%H%M')}.{fmt}"
