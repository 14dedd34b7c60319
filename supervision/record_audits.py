"""Record audits (M§24): the center checks an institution's evaluation records of a period —
every step in the audit log, the report and scores, the evidence, the expert opinions — and
verifies the hash chain; findings are recorded and can open a case."""

import logging
from dataclasses import dataclass, field
from datetime import date, datetime

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _g

from applications.enums import ApplicationState
from applications.models import Application
from ietsportal.audit.models import AuditEntry
from ietsportal.audit.services import audit_chain_verify, audit_record
from ietsportal.errors import Conflict, InvalidInput, NotFound
from institutions.models import Institution

from . import services
from .enums import CaseKind, SubjectKind
from .models import AuditFinding, RecordAudit

logger = logging.getLogger(__name__)

REPORTED_OR_LATER = "reported"


def _center(actor):
    if actor is None or not actor.is_center_staff:
        raise NotFound()


def _date(value, field: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value or ""))
    except ValueError:
        raise InvalidInput(_g("Dates are written YYYY-MM-DD."), field=field) from None


def record_audit_open(
    *, actor, institution_id, period_start, period_end, now: datetime
) -> RecordAudit:
    """M§24: open an audit of one institution's records for a period; a worker verifies the
    whole audit chain after the commit (`record_audit_verify_chain`)."""
    _center(actor)
    start, end = _date(period_start, "period_start"), _date(period_end, "period_end")
    if end < start:
        raise InvalidInput(_g("The period ends before it starts."), field="period_end")
    if end > timezone.localdate(now):
        raise InvalidInput(_g("The period cannot end in the future."), field="period_end")
    institution = Institution.objects.filter(pk=institution_id).first()
    if institution is None:
        raise InvalidInput(_g("Choose an evaluation institution."), field="institution")
    with transaction.atomic():
        audit = RecordAudit.objects.create(
            institution=institution,
            period_start=start,
            period_end=end,
            opened_by=actor,
            opened_at=now,
        )
        audit_record(
            actor=actor,
            action="record_audit.open",
            obj=audit,
            now=now,
            visible_to_applicant=False,
            data={"institution": institution.pk, "from": str(start), "to": str(end)},
        )
        _chain_check_after_commit(audit.pk)
    return audit


def record_audit_chain_recheck(*, audit_id: int, actor, now: datetime) -> RecordAudit:
    """The center asks for the chain to be verified again; a worker does it after the commit
    and the audit shows "being checked" until then."""
    with transaction.atomic():
        audit = _open_audit(audit_id, actor)
        audit.chain_checked_at, audit.chain_problem = None, ""
        audit.save(update_fields=["chain_checked_at", "chain_problem"])
        _chain_check_after_commit(audit.pk)
    return audit


def _chain_check_after_commit(audit_id: int) -> None:
    def send():
        from .tasks import verify_record_audit_chain

        try:
            verify_record_audit_chain.delay(audit_id)
        except Exception:  # broker unreachable: the page offers the check again
            logger.warning("broker unavailable; record audit %s not verified", audit_id)

    transaction.on_commit(send)


def record_audit_verify_chain(*, audit_id: int, now: datetime) -> RecordAudit:
    """The worker's part (supervision.tasks): walk the whole chain and record the result.
    Not in the web request: at 1.7 million entries the walk takes about 30 s (issue #8)."""
    problem = audit_chain_verify()
    with transaction.atomic():
        audit = RecordAudit.objects.select_for_update().get(pk=audit_id)
        audit.chain_checked_at = now
        audit.chain_problem = problem.reason if problem else ""
        audit.save(update_fields=["chain_checked_at", "chain_problem"])
    return audit


def _open_audit(audit_id, actor) -> RecordAudit:
    _center(actor)
    audit = RecordAudit.objects.select_for_update().filter(pk=audit_id).first()
    if audit is None:
        raise NotFound()
    if not audit.is_open:
        raise Conflict(_g("This audit is closed."))
    return audit


def record_audit_finding_add(
    *, audit_id: int, actor, text: str, now: datetime, application_id=None
) -> AuditFinding:
    text = (text or "").strip()
    if not text:
        raise InvalidInput(_g("Describe the finding."), field="text")
    if len(text) > 5000:
        raise InvalidInput(_g("The finding is longer than 5000 characters."), field="text")
    with transaction.atomic():
        audit = _open_audit(audit_id, actor)
        application = None
        if application_id not in (None, ""):
            application = audited_applications(audit).filter(pk=application_id).first()
            if application is None:
                raise InvalidInput(
                    _g("The application is not among the audited ones."), field="application"
                )
        finding = AuditFinding.objects.create(
            audit=audit, application=application, text=text, created_by=actor, created_at=now
        )
        audit_record(
            actor=actor,
            action="record_audit.finding",
            obj=audit,
            now=now,
            visible_to_applicant=False,
            data={"finding": finding.pk, "application": application.number if application else ""},
        )
    return finding


def record_audit_finding_case(*, finding_id: int, actor, now: datetime) -> AuditFinding:
    """A finding opens a case about the application (or the institution), filed by the center
    member who recorded it."""
    _center(actor)
    with transaction.atomic():
        finding = (
            AuditFinding.objects.select_for_update(of=("self",))
            .select_related("audit__institution", "application")
            .filter(pk=finding_id)
            .first()
        )
        if finding is None:
            raise NotFound()
        if finding.case_id:
            raise Conflict(_g("A case has already been opened for this finding."))
        if finding.application is not None:
            subject_kind, reference = SubjectKind.APPLICATION, finding.application.number
        else:
            subject_kind, reference = SubjectKind.INSTITUTION, str(finding.audit.institution_id)
        case, _code = services.case_file(
            actor=actor,
            kind=CaseKind.COMPLAINT,
            subject_kind=subject_kind,
            reference=reference,
            summary=_g("Record audit finding (M§24)"),
            details=finding.text,
            now=now,
        )
        finding.case = case
        finding.save(update_fields=["case"])
    return finding


def record_audit_close(*, audit_id: int, actor, conclusion: str, now: datetime) -> RecordAudit:
    conclusion = (conclusion or "").strip()
    if not conclusion:
        raise InvalidInput(_g("Write the conclusion."), field="conclusion")
    with transaction.atomic():
        audit = _open_audit(audit_id, actor)
        audit.conclusion, audit.closed_at, audit.closed_by = conclusion[:5000], now, actor
        audit.save(update_fields=["conclusion", "closed_at", "closed_by"])
        audit_record(
            actor=actor, action="record_audit.close", obj=audit, now=now, visible_to_applicant=False
        )
    return audit


# ---- the checklist


def audited_applications(audit: RecordAudit):
    """Every application the institution received in the period (drafts were never its)."""
    return Application.objects.filter(
        institution_id=audit.institution_id,
        submitted_at__date__gte=audit.period_start,
        submitted_at__date__lte=audit.period_end,
    ).exclude(state=ApplicationState.DRAFT)


@dataclass
class ChecklistRow:
    application: Application
    steps: bool = False
    report: bool | None = None
    evidence: bool = False
    experts: bool | None = None
    intact: bool = True
    problems: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return (
            self.steps
            and self.report is not False
            and self.evidence
            and (self.experts is not False)
            and self.intact
        )


def record_audit_checklist(audit: RecordAudit) -> list[ChecklistRow]:
    """One row per audited application, in three queries whatever their number."""
    apps = list(
        audited_applications(audit)
        .annotate(
            n_evidence=Count("evidence", distinct=True),
            n_opinions=Count(
                "expert_reviews",
                filter=Q(expert_reviews__submitted_at__isnull=False),
                distinct=True,
            ),
        )
        .order_by("submitted_at", "pk")
    )
    entries: dict[str, list[AuditEntry]] = {}
    for entry in AuditEntry.objects.filter(
        object_type="applications.application", object_id__in=[str(a.pk) for a in apps]
    ).order_by("seq"):
        entries.setdefault(entry.object_id, []).append(entry)
    rows = []
    for app in apps:
        log = entries.get(str(app.pk), [])
        row = ChecklistRow(app)
        row.intact = all(e.compute_hash() == e.hash for e in log)
        if not row.intact:
            row.problems.append(_g("An entry of its audit log does not match its hash."))
        transitions = [e.data for e in log if isinstance(e.data, dict) and "to" in e.data]
        state = ApplicationState.DRAFT
        gaps = not any(e.action == "application.create" for e in log)
        for data in transitions:
            if data.get("from") != state:
                gaps = True
            state = data["to"]
        row.steps = not gaps and state == app.state
        if not row.steps:
            row.problems.append(_g("Its audit log does not account for every step."))
        reached = {data["to"] for data in transitions}
        if REPORTED_OR_LATER in reached:
            scores = (
                app.score_basic,
                app.score_technical,
                app.score_service,
                app.score_operational,
            )
            row.report = bool(app.report.strip()) and all(s is not None for s in scores)
            if not row.report:
                row.problems.append(_g("The report or a score is missing."))
        evidence_logged = sum(1 for e in log if e.action == "evidence.add")
        row.evidence = app.n_evidence > 0 and evidence_logged >= app.n_evidence
        if not row.evidence:
            row.problems.append(_g("Evidence is missing or was added outside the log."))
        if ApplicationState.PUBLICITY in reached:
            row.experts = app.n_opinions > 0
            if not row.experts:
                row.problems.append(_g("The expert opinions are missing."))
        rows.append(row)
    return rows
