import itertools
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta

from applications import services
from applications.enums import ApplicationState as S
from applications.models import Application
from certificates.enums import CertificateStatus
from certificates.models import Certificate
from ietsportal.errors import DomainError
from ietsportal.jobs import run_due_jobs

from .conftest import T0, pdf_upload

GRADE_CODES = [f"{a}{i}" for a in "BTSO" for i in range(1, 5)]  # the sample grade rubric
INNOVATION_CODES = ["N1", "N2", "N3", "N4", "N5"]  # the sample innovation rubric


def report(kind="grade", value="7.5", **extra):
    """The data of `file_report` for the sample rubric of `kind`: every criterion scored
    `value` (7.5 of 10 → total 75 → IETS-3) with a comment."""
    codes = GRADE_CODES if kind == "grade" else INNOVATION_CODES
    return {
        "onsite_visit_on": "2026-03-02",
        "onsite_findings": "现场核查通过。",
        "scores": dict.fromkeys(codes, value),
        "comments": {code: f"{code} 材料充分。" for code in codes},
        "recommended_grade": "IETS-3" if kind == "grade" else "",
        "report": "综合评价良好。",
        **extra,
    }


REPORT = report()
ORDER = [
    S.DRAFT,
    S.SUBMITTED,
    S.DOCUMENT_REVIEW,
    S.ONSITE_REVIEW,
    S.REPORTED,
    S.EXPERT_REVIEW,
    S.PUBLICITY,
    S.ISSUED,
]


def expert_opinion(*, application_id, actor, now, **data):
    """M§14(3): the expert declares no conflict of interest (unless done already), then gives
    the opinion; a declaration refused (not on the panel, wrong state) leaves the opinion to
    say why."""
    try:
        services.expert_declare(
            application_id=application_id, actor=actor, has_conflict=False, now=now
        )
    except DomainError:
        pass
    return services.expert_opinion_submit(
        application_id=application_id, actor=actor, now=now, **data
    )


class Flow:
    def __init__(self, world):
        self.w = world

    def draft(
        self,
        applicant=None,
        *,
        institution=None,
        kind="grade",
        grade="IETS-3",
        evidence=True,
        now=T0,
    ):
        applicant = applicant or self.w.applicant
        app = services.application_create(
            actor=applicant,
            institution_id=(institution or self.w.inst).pk,
            kind=kind,
            requested_grade=grade if kind == "grade" else "",
            declares_independent_legal_person=True,
            declares_no_violations=True,
            now=now,
        )
        if evidence:
            services.evidence_add(application=app, actor=applicant, upload=pdf_upload(), now=now)
        return app

    def fire(self, app, name, actor, now=T0, **data):
        return services.application_transition(
            application_id=app.pk, name=name, actor=actor, data=data, now=now
        )

    def to(self, app, state, now=T0):
        """Advance `app` along the main line until it is in `state`."""
        w = self.w
        admin = (
            w.inst_admin
            if app.institution_id == w.inst.pk
            else (w.local_admin if app.institution_id == w.local_inst.pk else w.other_admin)
        )
        team = [
            u
            for u in (w.assessors + w.local_assessors + w.other_assessors)
            if u.institution_id == app.institution_id
        ]
        applicant = app.organization.members.first()
        t = now
        while app.state != state:
            t += timedelta(minutes=1)
            if app.state == S.DRAFT:
                app = self.fire(app, "submit", applicant, t)
            elif app.state == S.SUBMITTED:
                app = self.fire(
                    app,
                    "accept",
                    admin,
                    t,
                    lead_assessor=team[0].username,
                    assessors=[team[1].username],
                )
            elif app.state == S.DOCUMENT_REVIEW:
                app = self.fire(app, "finish_document_review", team[0], t, notes="材料齐全。")
            elif app.state == S.ONSITE_REVIEW:
                app = self.fire(app, "file_report", team[0], t, **report(app.kind))
            elif app.state == S.REPORTED:
                app = self.fire(
                    app,
                    "start_expert_review",
                    w.center,
                    t,
                    experts=[e.username for e in w.experts],
                    pick_reason="专业对口。",
                )
            elif app.state == S.EXPERT_REVIEW:
                for expert in w.experts:
                    expert_opinion(
                        application_id=app.pk,
                        actor=expert,
                        now=t,
                        approves=True,
                        recommended_grade="IETS-3" if app.kind == "grade" else "",
                        opinion="同意。",
                    )
                app = self.fire(
                    app, "confirm", w.center, t, final_grade="IETS-3" if app.kind == "grade" else ""
                )
            elif app.state == S.PUBLICITY:
                run_due_jobs(now=app.publicity_ends_at + timedelta(seconds=1))
                app.refresh_from_db()
            else:
                raise AssertionError(f"cannot advance from {app.state}")
        return app


BEIJING = ZoneInfo("Asia/Shanghai")
_certificate_numbers = itertools.count(1)


def beijing(day: date, hour: int = 0, minute: int = 0) -> datetime:
    """An instant in Beijing time: the jobs count days in the portal's time zone."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=BEIJING)


def issued_certificate(
    world,
    org=None,
    *,
    issued_on: date,
    status_changed_at: datetime | None = None,
    status: str = CertificateStatus.VALID,
    kind: str = "grade",
    institution=None,
) -> Certificate:
    """An issued application with its certificate, written directly: the issue step itself is
    tested in tests/certificates/test_issue.py; tests of what follows need certificates of
    chosen dates and states. Its status last changed at `status_changed_at` (default: the
    start of `issued_on` in Beijing); valid for three years (M§15)."""
    org = org or world.org
    institution = institution or world.inst
    status_changed_at = status_changed_at or beijing(issued_on)
    grade = "IETS-3" if kind == "grade" else ""
    n = next(_certificate_numbers)
    app = Application.objects.create(
        number=f"SQX{n:07d}",
        organization=org,
        institution=institution,
        kind=kind,
        requested_grade=grade,
        final_grade=grade,
        state=S.ISSUED,
        created_by=org.members.first(),
        created_at=status_changed_at - timedelta(days=30),
        updated_at=status_changed_at,
    )
    return Certificate.objects.create(
        number=f"{'IETS' if kind == 'grade' else 'ITAI'}-{issued_on.year}-9{n:05d}",
        application=app,
        organization=org,
        institution=institution,
        kind=kind,
        grade=grade,
        issued_on=issued_on,
        expires_on=issued_on + relativedelta(years=3),
        status=status,
        status_changed_at=status_changed_at,
    )


def journey_scene(world, flow, now):
    """The pages of the main journeys, in the states where each role has something to do
    (issue 10; used by the vnu and axe tests): the applicant's draft without evidence, an
    application issued a certificate 3 days ago, and another organisation's applications
    submitted, in onsite review (criterion scoring), in expert review (the expert's
    declaration), returned for more material (补正) and in publicity with an objection."""
    from types import SimpleNamespace

    from certificates.signing import certificate_facts, sign_facts

    draft = flow.draft(evidence=False, now=now - timedelta(days=11))
    issued = flow.to(
        flow.draft(now=now - timedelta(days=11)), S.PUBLICITY, now=now - timedelta(days=10)
    )
    run_due_jobs(now=issued.publicity_ends_at + timedelta(seconds=1))
    certificate = Certificate.objects.get(application=issued)
    other = world.other_applicant
    start = now - timedelta(days=1)
    submitted = flow.to(flow.draft(other, now=start), S.SUBMITTED, now=start)
    onsite = flow.to(flow.draft(other, now=start), S.ONSITE_REVIEW, now=start)
    expert_review = flow.to(flow.draft(other, now=start), S.EXPERT_REVIEW, now=start)
    publicity = flow.to(flow.draft(other, now=start), S.PUBLICITY, now=start)
    services.objection_file(
        application_id=publicity.pk,
        name="张三",
        contact="13800000000",
        reason="材料不实。",
        now=now,
    )
    return SimpleNamespace(
        draft=draft,
        issued=issued,
        certificate=certificate,
        token=sign_facts(certificate_facts(certificate)),
        submitted=submitted,
        onsite=onsite,
        expert_review=expert_review,
        publicity=publicity,
    )


def new_areas_scene(world, flow, now):
    """Something on every page of the areas added after the main journeys (issue 10):
    institutions and assessors, supervision, selection, rubrics, and 补正."""
    from types import SimpleNamespace

    from institutions import services as inst
    from institutions.models import Expert
    from rubrics import services as rubric_services
    from rubrics.models import Rubric
    from selection import services as sel
    from supervision import record_audits
    from supervision import services as sup

    from .institutions.conftest import apply, nominate
    from .selection.conftest import WEIGHTS, completed_run

    other = world.other_applicant
    start = now - timedelta(days=1)
    returned = flow.to(flow.draft(other, now=start), S.SUBMITTED, now=start)
    returned = flow.fire(
        returned,
        "return_to_applicant",
        world.inst_admin,
        now,
        reason="请补充近三年审计报告。",
        criteria=["B2", "O1"],
    )
    expert = Expert.objects.create(user=world.experts[0], fields_of_expertise="信息系统")
    designation = apply(world.other_applicant, name="候选机构", now=now)
    inst.designation_document_add(
        designation_id=designation.pk,
        actor=world.other_applicant,
        kind="licence",
        upload=pdf_upload("营业执照.pdf"),
        now=now,
    )
    inst.designation_start_expert_review(
        designation_id=designation.pk, actor=world.center, panel_size=1, now=now
    )
    nominee = nominate(world.inst_admin, now=now)
    # a supervision action with the report it rests on, in the institution's history
    inst.institution_suspend(
        institution_id=world.other_inst.pk,
        actor=world.center,
        grounds="rules",
        explanation="检查记录不全。",
        evidence_file=pdf_upload("检查报告.pdf"),
        now=now,
    )
    issued = flow.to(flow.draft(now=start), S.ISSUED, now=start)
    case, receipt = sup.case_file(
        actor=world.applicant,
        kind="complaint",
        subject_kind="application",
        reference=issued.number,
        summary="投诉",
        details="细节",
        evidence=[pdf_upload()],
        now=now,
    )
    sup.case_start(case_id=case.pk, actor=world.center, now=now)
    audit = record_audits.record_audit_open(
        actor=world.center,
        institution_id=world.inst.pk,
        period_start=(now - timedelta(days=30)).date(),
        period_end=now.date(),
        now=now,
    )
    rubric = Rubric.objects.current("grade")
    rubric_draft = rubric_services.rubric_draft_create(actor=world.center, kind="grade", now=now)
    run = completed_run(world.applicant, title="自评一", now=now)
    project = sel.selection_create(
        actor=world.applicant,
        title="运维服务采购",
        weights=WEIGHTS,
        min_grade="IETS-3",
        requires_valid_certificate=True,
        now=now,
    )
    invitation = sel.selection_invite(
        actor=world.applicant, project_id=project.pk, organization_id=world.other_org.pk, now=now
    )
    return SimpleNamespace(
        returned=returned,
        expert=expert,
        designation=designation,
        nominee=nominee,
        case=case,
        receipt=receipt,
        audit=audit,
        rubric=rubric,
        rubric_draft=rubric_draft,
        criterion=rubric_draft.criteria.order_by("position").first(),
        self_evaluation=run,
        project=project,
        invitation=invitation,
    )
