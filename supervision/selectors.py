"""The dashboard's figures (M§7, M§23–24): scoped reads, a fixed number of queries whatever the
number of rows (GROUP BY in the database)."""

import statistics
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from urllib.parse import urlencode

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from applications.enums import ApplicationState
from applications.models import Application
from certificates.enums import AnnualReviewState, CertificateStatus
from certificates.models import AnnualReview, Certificate
from ietsportal.accounts.regions import REGION_CHOICES
from ietsportal.audit.models import AuditEntry

from .models import Case

BAR_WIDTH = 240
STEP_WINDOW_DAYS = 365


@dataclass
class Bar:
    label: str
    value: float
    url: str = ""
    width: int = 0


def _list_url(name: str, **filters) -> str:
    url = reverse("supervision:list", args=[name])
    return f"{url}?{urlencode(filters)}" if filters else url


def _scaled(bars: list[Bar]) -> list[Bar]:
    top = max((b.value for b in bars), default=0) or 1
    for b in bars:
        b.width = max(1, round(BAR_WIDTH * b.value / top)) if b.value else 0
    return bars


def _grouped(qs, field, labels, list_name, param, value_of=lambda v: v) -> list[Bar]:
    rows = qs.order_by().values(field).annotate(n=Count("pk")).order_by("-n", field)
    return _scaled(
        [
            Bar(
                str(labels.get(r[field], r[field] or "—")),
                r["n"],
                _list_url(list_name, **{param: value_of(r[field])}),
            )
            for r in rows
        ]
    )


def step_medians(application_ids, *, now: datetime) -> list[Bar]:
    """Median days spent in each state, from the audit log's transitions (M§24): the time from
    the entry that moved an application into a state to the next one that moved it on."""
    since = now - timedelta(days=STEP_WINDOW_DAYS)
    entries = (
        AuditEntry.objects.filter(
            object_type="applications.application",
            action__startswith="application.",
            created_at__gte=since,
        )
        .order_by("object_id", "seq")
        .values_list("object_id", "created_at", "data")
    )
    scope = {str(pk) for pk in application_ids}
    durations: dict[str, list[float]] = {}
    last = None  # (object_id, time, state)
    for object_id, created_at, data in entries.iterator(chunk_size=2000):
        if object_id not in scope or not isinstance(data, dict) or "to" not in data:
            continue
        if last is not None and last[0] == object_id and data.get("from") == last[2]:
            days = (created_at - last[1]).total_seconds() / 86400
            durations.setdefault(last[2], []).append(days)
        last = (object_id, created_at, data["to"])
    labels = dict(ApplicationState.choices)
    order = list(ApplicationState.values)
    return _scaled(
        [
            Bar(str(labels[state]), round(statistics.median(values), 1))
            for state, values in sorted(durations.items(), key=lambda kv: order.index(kv[0]))
            if state in labels
        ]
    )


def dashboard_for(user, *, now: datetime) -> dict:
    """Everything the dashboard shows, in the user's scope: the center sees all, an
    institution its own work (the `for_user` querysets)."""
    today = timezone.localdate(now)
    applications = Application.objects.for_user(user)
    certificates = Certificate.objects.for_user(user)
    data = {
        "applications_by_state": _grouped(
            applications, "state", dict(ApplicationState.choices), "applications", "state"
        ),
        "certificates_by_grade": _grouped(
            certificates.exclude(grade=""), "grade", {}, "certificates", "grade"
        ),
        "certificates_by_status": _grouped(
            certificates, "status", dict(CertificateStatus.choices), "certificates", "status"
        ),
        "certificates_by_region": _grouped(
            certificates,
            "organization__region",
            dict(REGION_CHOICES),
            "certificates",
            "region",
        ),
    }
    if user.is_center_staff:
        rows = (
            applications.order_by()
            .values("institution_id", "institution__name")
            .annotate(n=Count("pk"))
            .order_by("-n", "institution__name")
        )
        data["applications_by_institution"] = _scaled(
            [
                Bar(
                    r["institution__name"],
                    r["n"],
                    _list_url("applications", institution=r["institution_id"]),
                )
                for r in rows
            ]
        )
    data["step_medians"] = step_medians(applications.values_list("pk", flat=True), now=now)
    data["upcoming"] = _upcoming(certificates, today)
    if user.is_center_staff:
        data["cases_by_age"] = _cases_by_age(Case.objects.for_user(user), now, today)
        data.update(_compliance(now, today))
    return data


def _compliance(now: datetime, today: date) -> dict:
    """R§8 and R§12 as the daily checks left them: institutions below the staffing bar (days
    since), and per institution the registered assessors short of participations — warned
    this year or found short for last year. Two queries."""
    from institutions.enums import AssessorState
    from institutions.models import Assessor, Institution

    short = Institution.objects.filter(staffing_short_since__isnull=False).order_by(
        "staffing_short_since", "name"
    )
    rows = (
        Assessor.objects.filter(state=AssessorState.REGISTERED)
        .filter(
            Q(participation_warned_year=today.year) | Q(participation_short_year=today.year - 1)
        )
        .order_by()
        .values("institution__name")
        .annotate(n=Count("pk"))
        .order_by("-n", "institution__name")
    )
    participation = reverse("institutions:participation")
    return {
        "staffing_short": _scaled(
            [
                Bar(
                    i.name,
                    (now - i.staffing_short_since).days,
                    reverse("institutions:institution-manage", args=[i.pk]),
                )
                for i in short
            ]
        ),
        "participation_short": _scaled(
            [Bar(r["institution__name"], r["n"], participation) for r in rows]
        ),
    }


def _upcoming(certificates, today: date) -> list[Bar]:
    """Expiries (M§15–17) and annual reviews (M§15) in the next 30 and 90 days."""
    d30, d90 = today + timedelta(days=30), today + timedelta(days=90)
    valid = certificates.filter(status=CertificateStatus.VALID)
    expiring = valid.aggregate(
        d30=Count("pk", filter=Q(expires_on__gte=today, expires_on__lte=d30)),
        d90=Count("pk", filter=Q(expires_on__gte=today, expires_on__lte=d90)),
    )
    reviews = AnnualReview.objects.filter(
        certificate__in=certificates, state=AnnualReviewState.DUE
    ).aggregate(
        d30=Count("pk", filter=Q(due_on__lte=d30)), d90=Count("pk", filter=Q(due_on__lte=d90))
    )
    from django.utils.translation import gettext as _g

    def expiry_url(until):
        return _list_url(
            "certificates",
            status="valid",
            expires_from=today.isoformat(),
            expires_to=until.isoformat(),
        )

    return _scaled(
        [
            Bar(_g("Certificates expiring within 30 days"), expiring["d30"], expiry_url(d30)),
            Bar(_g("Certificates expiring within 90 days"), expiring["d90"], expiry_url(d90)),
            Bar(
                _g("Annual reviews due within 30 days"),
                reviews["d30"],
                _list_url("certificates", review_due_to=d30.isoformat()),
            ),
            Bar(
                _g("Annual reviews due within 90 days"),
                reviews["d90"],
                _list_url("certificates", review_due_to=d90.isoformat()),
            ),
        ]
    )


def _cases_by_age(cases, now: datetime, today: date) -> list[Bar]:
    from django.utils.translation import gettext as _g

    open_cases = cases.open()
    week, month = now - timedelta(days=7), now - timedelta(days=30)
    counts = open_cases.aggregate(
        young=Count("pk", filter=Q(received_at__gte=week)),
        middle=Count("pk", filter=Q(received_at__lt=week, received_at__gte=month)),
        old=Count("pk", filter=Q(received_at__lt=month)),
        overdue=Count("pk", filter=Q(deadline__lt=today)),
    )
    base = reverse("supervision:case-list")
    return _scaled(
        [
            Bar(
                _g("Open, received in the last 7 days"),
                counts["young"],
                _list_url("cases", state="open", newer_than=7),
            ),
            Bar(
                _g("Open, 7 to 30 days old"),
                counts["middle"],
                _list_url("cases", state="open", older_than=7, newer_than=30),
            ),
            Bar(
                _g("Open, more than 30 days old"),
                counts["old"],
                _list_url("cases", state="open", older_than=30),
            ),
            Bar(_g("Open and past the deadline"), counts["overdue"], f"{base}?state=open"),
        ]
    )
