"""Demo data for `seed_demo` (DESIGN.md public contract). Everything is made through the same
services users go through, so the demo's audit chain, notifications and certificates are real."""

import functools
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password, make_password
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone
from stdnum.cn import uscc as uscc_check

from applications import services as app_services
from applications.enums import ApplicationState, EvaluationKind
from applications.models import Application
from certificates import services as cert_services
from certificates.models import Certificate

from .accounts.enums import OrganizationType, Role
from .accounts.models import Organization
from .accounts.regions import region_of_uscc
from .jobs import run_due_jobs

# A tiny but well-formed PDF, so evidence passes the same content check as any upload.
DEMO_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def make_uscc(body17_without_check: str) -> str:
    """A USCC with a correct check digit from its first 17 characters."""
    return body17_without_check + uscc_check.calc_check_digit(body17_without_check)


ORGANIZATIONS = [
    # username, name, uscc body, type
    ("applicant", "北京数智信息技术有限公司", "91110108MA01ABCD1", OrganizationType.ENTERPRISE),
    ("applicant-assoc", "中关村信息化服务协会", "51110108MJ0012345", OrganizationType.ASSOCIATION),
    ("applicant3", "上海云栈软件股份有限公司", "91310115MA1K4XYW2", OrganizationType.ENTERPRISE),
    ("applicant4", "广州粤信系统集成有限公司", "91440101MA59ABC12", OrganizationType.ENTERPRISE),
    ("applicant5", "杭州西湖数据服务有限公司", "91330106MA2CD3456", OrganizationType.ENTERPRISE),
    ("applicant6", "成都天府智能科技有限公司", "91510100MA6EF7890", OrganizationType.ENTERPRISE),
]
EXPERTS = ["王建国", "李晓梅", "张卫东", "刘芳", "陈志强"]
SURNAMES = "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦尤许"
GIVEN = ["伟", "芳", "娜", "敏", "静", "磊", "洋", "勇", "艳", "杰", "涛", "明", "超", "霞", "平"]


EXPERT_PROFILES = [
    ("信息系统集成、项目管理", "北京航空航天大学"),
    ("软件工程、软件测试", "中国电子技术标准化研究院"),
    ("云计算、数据中心运维", "清华大学"),
    ("信息安全、等级保护", "国家信息技术安全研究中心"),
    ("数据治理、大数据应用", "浙江大学"),
]
DEMO_REGISTERED_AT = datetime(2024, 1, 15, 9, 0, tzinfo=UTC)


def _demo_id_number(region: str, i: int) -> str:
    """A well-formed resident identity number for a demo assessor (GB 11643 check digit)."""
    from stdnum.cn import ric

    body = f"{region}{1975 + i % 20}{(i % 12) + 1:02d}{(i % 27) + 1:02d}{i % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")


@functools.cache
def _hashed(password: str) -> str:
    return make_password(password)


@functools.cache
def _matches(password: str, encoded: str) -> bool:
    return check_password(password, encoded)


def _user(username, password, role, display_name, **extra):
    user_model = get_user_model()
    user = user_model.objects.filter(username=username).first() or user_model(username=username)
    user.role, user.display_name = role, display_name
    user.email = f"{username}@demo.iets.example.cn"
    for key, value in extra.items():
        setattr(user, key, value)
    user.is_active = True
    if not user.password or not _matches(password, user.password):
        # One hash for all demo accounts: each hash costs most of a second by design.
        user.password = _hashed(password)
    user.save()
    return user


def seed_people(password: str) -> dict:
    from institutions import personal_data
    from institutions.enums import AssessorState, ContractType, InstitutionLevel, InstitutionState
    from institutions.models import Assessor, Expert, Institution

    people = {"center": _user("center", password, Role.CENTER_STAFF, "评价中心 孙主任")}
    people["center"].is_staff = True
    people["center"].save(update_fields=["is_staff"])
    for i, name in enumerate(EXPERTS, start=1):
        people[f"expert{i}"] = _user(f"expert{i}", password, Role.EXPERT, f"专家 {name}")
        field, employer = EXPERT_PROFILES[i - 1]
        Expert.objects.update_or_create(
            user=people[f"expert{i}"],
            defaults={"fields_of_expertise": field, "employer_name": employer, "available": True},
        )
    institutions = {
        "national": Institution.objects.update_or_create(
            uscc=make_uscc("12100000MB0X12345"),
            defaults={
                "name": "中国技术市场协会信息化评价所",
                "level": InstitutionLevel.NATIONAL,
                "region": "",
                "established_on": date(2015, 3, 1),
                "state": InstitutionState.APPROVED,
            },
        )[0],
        "local": Institution.objects.update_or_create(
            uscc=make_uscc("91440300MA5FQ1234"),
            defaults={
                "name": "广东省信息化工程评价中心",
                "level": InstitutionLevel.LOCAL,
                "region": "44",
                "established_on": date(2018, 6, 18),
                "state": InstitutionState.APPROVED,
            },
        )[0],
    }
    # R§8: national ≥15 assessors (≥8 full-time), local ≥10 (≥5 full-time).
    for key, prefix, count, full_time in [("national", "nat", 15, 10), ("local", "loc", 10, 6)]:
        inst = institutions[key]
        people[f"inst-{key}"] = _user(
            f"inst-{key}", password, Role.INSTITUTION_ADMIN, f"{inst.name} 管理员", institution=inst
        )
        for i in range(1, count + 1):
            name = SURNAMES[(i * 7) % len(SURNAMES)] + GIVEN[i % len(GIVEN)]
            user = _user(
                f"{prefix}-assessor{i}", password, Role.ASSESSOR, f"评价师 {name}", institution=inst
            )
            id_number = _demo_id_number("110105" if prefix == "nat" else "440303", i)
            Assessor.objects.update_or_create(
                user=user,
                defaults={
                    "institution": inst,
                    "full_name": name,
                    "full_time": i <= full_time,
                    "contract_type": ContractType.LABOUR
                    if i <= full_time
                    else ContractType.SERVICE,
                    "qualifications": "信息系统项目管理师（高级）"
                    if i % 3
                    else "注册信息安全工程师",
                    "registration_number": f"PJ-{prefix.upper()}-{i:04d}",
                    "state": AssessorState.REGISTERED,
                    "id_number_encrypted": personal_data.encrypt(id_number),
                    "id_number_hash": personal_data.id_hash(id_number),
                    "id_number_masked": personal_data.mask(id_number),
                    "registered_at": DEMO_REGISTERED_AT,
                    "nominated_at": DEMO_REGISTERED_AT,
                },
            )
            people[user.username] = user
    for username, name, body, org_type in ORGANIZATIONS:
        uscc = make_uscc(body)
        org, _ = Organization.objects.update_or_create(
            uscc=uscc, defaults={"name": name, "org_type": org_type, "region": region_of_uscc(uscc)}
        )
        people[username] = _user(
            username, password, Role.APPLICANT, f"{name} 申报人", organization=org
        )
    people["institutions"] = institutions
    return people


class Walker:
    """Moves one application through the pipeline with the right person at each step."""

    def __init__(self, people):
        self.p = people

    def draft(
        self,
        username,
        *,
        institution="national",
        kind=EvaluationKind.GRADE,
        grade="IETS-3",
        at: datetime,
    ):
        actor = self.p[username]
        app = app_services.application_create(
            actor=actor,
            institution_id=self.p["institutions"][institution].pk,
            kind=kind,
            requested_grade=grade if kind == EvaluationKind.GRADE else "",
            description="本单位长期从事信息系统集成、软件开发与运维服务，具备完善的质量管理体系。",
            declares_independent_legal_person=True,
            declares_no_violations=True,
            now=at,
        )
        app_services.evidence_add(
            application=app,
            actor=actor,
            now=at,
            description="营业执照与资质证明",
            upload=SimpleUploadedFile("营业执照.pdf", DEMO_PDF, content_type="application/pdf"),
        )
        return app

    def fire(self, app, name, username, at, **data):
        return app_services.application_transition(
            application_id=app.pk,
            name=name,
            actor=self.p[username] if username else None,
            data=data,
            now=at,
            system=username is None,
        )

    def walk(self, app, until: str, *, at: datetime, grade="IETS-3"):
        inst = "inst-national" if app.institution.level == "national" else "inst-local"
        prefix = "nat" if app.institution.level == "national" else "loc"
        applicant = next(
            k
            for k, v in self.p.items()
            if getattr(v, "organization_id", None) == app.organization_id
        )
        steps = [
            ("submit", applicant, {}),
            (
                "accept",
                inst,
                {"lead_assessor": f"{prefix}-assessor1", "assessors": [f"{prefix}-assessor2"]},
            ),
            (
                "finish_document_review",
                f"{prefix}-assessor1",
                {"notes": "材料齐全，营业执照、资质证明与项目案例一致。"},
            ),
            (
                "file_report",
                f"{prefix}-assessor1",
                {
                    "onsite_visit_on": (at + timedelta(hours=3)).date().isoformat(),
                    "onsite_findings": "现场核查研发与服务体系运行有效。",
                    **_criterion_scores(app, grade),
                    "report": "综合评价：该组织在四个能力方面均达到申报等级要求。",
                },
            ),
            (
                "start_expert_review",
                "center",
                {"experts": ["expert1", "expert2", "expert3"], "pick_reason": "专业方向对口。"},
            ),
        ]
        t = at
        for name, who, data in steps:
            if app.state == until:
                return app
            t += timedelta(hours=4)
            app = self.fire(app, name, who, t, **data)
        if app.state == until:
            return app
        for expert in ("expert1", "expert2", "expert3"):
            t += timedelta(hours=2)
            app_services.expert_declare(
                application_id=app.pk, actor=self.p[expert], has_conflict=False, now=t
            )
            app_services.expert_opinion_submit(
                application_id=app.pk,
                actor=self.p[expert],
                now=t,
                approves=True,
                recommended_grade=grade if app.kind == EvaluationKind.GRADE else "",
                opinion="同意评价机构的结论。",
            )
        t += timedelta(hours=2)
        app = self.fire(
            app,
            "confirm",
            "center",
            t,
            final_grade=grade if app.kind == EvaluationKind.GRADE else "",
        )
        if app.state == until:
            return app
        run_due_jobs(now=app.publicity_ends_at + timedelta(minutes=5))
        app.refresh_from_db()
        return app


def _criterion_scores(app, grade: str) -> dict:
    """`file_report` data for the current rubric: every criterion at the same share of its
    maximum, halfway between `grade`'s threshold and the next one (M§3, M§11)."""
    from rubrics.models import Rubric
    from rubrics.scoring import rubric_loaded

    rubric = rubric_loaded(app.rubric or Rubric.objects.current(app.kind))
    totals = [t.min_total for t in rubric.thresholds_list] + [Decimal(100)]
    share = Decimal("0.85")
    for i, threshold in enumerate(rubric.thresholds_list):
        if threshold.grade == grade:
            share = (totals[i] + totals[i + 1]) / 200
    codes = [c.code for c in rubric.criteria_list]
    return {
        "scores": {
            c.code: str((c.max_score * share).quantize(Decimal("0.01")))
            for c in rubric.criteria_list
        },
        "comments": dict.fromkeys(codes, "材料与现场核查情况相符。"),
    }


@transaction.atomic
def seed_designation(people, *, now: datetime) -> None:
    """R§13: an organisation's request to become a local institution, with its expert panel
    drawn and one opinion in — waiting for the others and the center's decision."""
    from institutions import services as inst_services
    from institutions.models import Expert

    # The panel is drawn at random from the pool; the demo's applicant organisation may not
    # sit in judgement of itself anyway (its employer is none of them).
    designation = inst_services.designation_apply(
        actor=people["applicant6"],
        name="成都天府信息化评价中心",
        level="local",
        region="51",
        established_on=date(2019, 4, 1),
        personnel="拟聘评价人员 12 名，其中专职 7 名，均具备信息系统项目管理师资格。",
        technical_means="自建评价管理系统，支持文件审核、现场审核记录与报告编制。",
        infrastructure="成都市高新区办公场所 600 平方米，档案室与会议室各一。",
        declares_good_credit=True,
        declares_independence=True,
        now=now,
    )
    for kind, name in (("licence", "营业执照.pdf"), ("personnel", "评价人员名单.pdf")):
        inst_services.designation_document_add(
            designation_id=designation.pk,
            actor=people["applicant6"],
            kind=kind,
            upload=SimpleUploadedFile(name, DEMO_PDF, content_type="application/pdf"),
            now=now,
        )
    opinions = inst_services.designation_start_expert_review(
        designation_id=designation.pk,
        actor=people["center"],
        notes="申请材料齐全，提交专家评审。",
        now=now,
    )
    inst_services.designation_opinion_submit(
        designation_id=designation.pk,
        actor=opinions[0].expert,
        approves=True,
        opinion="人员与技术条件符合要求，建议批准。",
        now=now + timedelta(days=1),
    )
    assert Expert.objects.count() >= 3


def seed_demo(*, password: str, now: datetime | None = None) -> dict:
    now = now or timezone.now()
    people = seed_people(password)
    created = seed_pipeline(people, now=now)
    newer = seed_newer_features(people, now=now)
    result = {"created": created or newer["created"], "certificates": Certificate.objects.count()}
    if newer.get("receipt_code"):
        result["receipt_code"] = newer["receipt_code"]
    return result


def seed_pipeline(people, *, now: datetime) -> bool:
    """Applications in every state and certificates in every status; False when present."""
    demo_org = people["applicant"].organization
    if Application.objects.filter(organization=demo_org).exists():
        return False
    w = Walker(people)
    days = lambda n: now - timedelta(days=n)  # noqa: E731
    seed_designation(people, now=days(5))
    w.draft("applicant", grade="IETS-2", at=days(1))  # a draft
    w.walk(w.draft("applicant", grade="IETS-3", at=days(40)), ApplicationState.ISSUED, at=days(40))
    w.walk(
        w.draft("applicant3", grade="IETS-2", at=days(3)),
        ApplicationState.PUBLICITY,
        at=days(3),
        grade="IETS-2",
    )
    w.walk(
        w.draft("applicant-assoc", kind=EvaluationKind.INNOVATION, at=days(6)),
        ApplicationState.DOCUMENT_REVIEW,
        at=days(6),
    )
    w.walk(
        w.draft("applicant4", institution="local", grade="IETS-4", at=days(9)),
        ApplicationState.EXPERT_REVIEW,
        at=days(9),
        grade="IETS-4",
    )
    w.walk(
        w.draft("applicant5", grade="IETS-1", at=days(2)), ApplicationState.SUBMITTED, at=days(2)
    )
    # A request for more material (补正) with the criteria concerned and a deadline.
    returned = w.walk(
        w.draft("applicant", grade="IETS-2", at=days(12)),
        ApplicationState.DOCUMENT_REVIEW,
        at=days(12),
    )
    w.fire(
        returned,
        "return_to_applicant",
        "nat-assessor1",
        days(10),
        reason="请补充近三年经审计的财务报告，以及运维服务案例的客户验收文件。",
        criteria=["B2", "S1"],
        deadline=(days(10) + timedelta(days=15)).date().isoformat(),
    )
    # Certificates in every status: suspended, revoked, expired.
    suspended = w.walk(
        w.draft("applicant4", institution="local", grade="IETS-3", at=days(400)),
        ApplicationState.ISSUED,
        at=days(400),
    )
    cert_services.certificate_suspend(
        number=suspended.certificate.number,
        actor=people["center"],
        now=days(30),
        reason="经核查，该组织技术负责人离职后未按要求报告，暂停证书待整改（M§19(5)）。",
        grounds="noncompliant",
    )
    revoked = w.walk(
        w.draft("applicant6", grade="IETS-4", at=days(700)),
        ApplicationState.ISSUED,
        at=days(700),
        grade="IETS-4",
    )
    cert_services.certificate_revoke(
        number=revoked.certificate.number,
        actor=people["center"],
        now=days(100),
        reason="经核实，评价过程中提供了虚假的项目合同材料（M§19(2)）。",
        grounds="false_material",
    )
    w.walk(
        w.draft("applicant5", grade="IETS-3", at=days(3 * 365 + 60)),
        ApplicationState.ISSUED,
        at=days(3 * 365 + 60),
    )
    # Issued last, so that no earlier job run reviews them at an old instant:
    # one whose first annual review opens now (M§15) ...
    reviewed = w.walk(
        w.draft("applicant3", grade="IETS-3", at=days(353)),
        ApplicationState.ISSUED,
        at=days(353),
    )
    # ... and one in its re-evaluation window, with its two annual reviews passed (M§15–16).
    renewing = w.walk(
        w.draft("applicant-assoc", kind=EvaluationKind.INNOVATION, at=days(3 * 365 - 40)),
        ApplicationState.ISSUED,
        at=days(3 * 365 - 40),
    )
    run_due_jobs(now=now)  # lapses applicant5's old certificate (M§17), opens reviews, reminds
    assert reviewed.certificate.annual_reviews.count() == 1
    for review in renewing.certificate.annual_reviews.order_by("year"):
        cert_services.annual_review_submit(
            review_id=review.pk,
            actor=people["applicant-assoc"],
            now=now,
            materials="年度经营情况、技术人员变动及服务项目清单。",
        )
        cert_services.annual_review_decide(
            review_id=review.pk,
            actor=people["center"],
            passed=True,
            now=now,
            note="年度审查材料齐全，符合要求。",
        )
    # A replacement copy requested for a lost certificate, waiting for the institution (M§22).
    cert_services.certificate_request_file(
        number=Application.objects.get(
            organization=demo_org, state=ApplicationState.ISSUED
        ).certificate.number,
        actor=people["applicant"],
        kind="reissue",
        now=now,
        details="证书原件在办公室搬迁中遗失，申请补发。",
    )
    return True


# ---- the newer features (issues #6, #7): each part made once, found again by its own marker

COMPLAINT_SUMMARY = "受理后一个多月未安排文件审核"
REPORT_SUMMARY = "评价人员疑似收受申请单位礼品"
APPEAL_SUMMARY = "评价机构未按规定告知补正要求"
SELF_EVALUATION_TITLE = "2026 年度自评"
SELECTION_TITLE = "会员单位信息化运维服务商遴选"


def seed_newer_features(people, *, now: datetime) -> dict:
    """Supervision cases, a record audit, self-evaluations and a supplier selection, so a first
    look shows them; each part is skipped when its marker exists (idempotent)."""
    days = lambda n: now - timedelta(days=n)  # noqa: E731
    result = {"created": False}
    with transaction.atomic():
        code = seed_cases(people, days)
        if code is not None:
            result.update(created=True, receipt_code=code)
        result["created"] |= seed_record_audit(people, days)
        evaluation = seed_self_evaluations(people, days)
        result["created"] |= evaluation is not None
        result["created"] |= seed_selection(people, days)
    return result


def seed_cases(people, days) -> str | None:
    """M§23–26: a complaint being investigated, an anonymous report (its receipt code is
    returned, once) and an upheld appeal. None when they exist."""
    from supervision import services as cases
    from supervision.models import Case

    if Case.objects.filter(summary=COMPLAINT_SUMMARY).exists():
        return None
    center = people["center"]
    # A complaint by the association about its innovation application, being investigated.
    pending = (
        Application.objects.filter(
            organization=people["applicant-assoc"].organization,
            state=ApplicationState.DOCUMENT_REVIEW,
        )
        .order_by("pk")
        .first()
    )
    if pending is not None:
        complaint, _ = cases.case_file(
            actor=people["applicant-assoc"],
            kind="complaint",
            subject_kind="application",
            reference=pending.number,
            summary=COMPLAINT_SUMMARY,
            details="我会于一个多月前提交创新能力评价申请并已受理，至今未收到文件审核意见，"
            "多次电话询问未获答复。",
            now=days(4),
        )
        cases.case_start(case_id=complaint.pk, actor=center, now=days(3))
        cases.case_note_add(
            case_id=complaint.pk,
            actor=center,
            text="已联系评价机构了解进度，机构称评价人员临时调整，将于一周内完成文件审核。",
            internal=False,
            now=days(2),
        )
        cases.case_note_add(
            case_id=complaint.pk,
            actor=center,
            text="核对受理记录与评价人员工作量，下周复查。",
            internal=True,
            now=days(2),
        )
    # An anonymous report of misconduct against the local institution.
    _report, code = cases.case_file(
        actor=None,
        kind="report",
        subject_kind="institution",
        reference=str(people["institutions"]["local"].pk),
        summary=REPORT_SUMMARY,
        details="某评价人员在现场审核期间接受申请单位宴请并收受购物卡，请评价中心核查。",
        now=days(1),
    )
    # An appeal (M§26) by applicant4 against the local institution, upheld with a reply.
    appealed = (
        Application.objects.filter(organization=people["applicant4"].organization)
        .order_by("pk")
        .first()
    )
    if appealed is not None:
        appeal, _ = cases.case_file(
            actor=people["applicant4"],
            kind="appeal",
            subject_kind="institution",
            reference=str(appealed.institution_id),
            summary=APPEAL_SUMMARY,
            details="评价机构在文件审核中认定我司材料不全，但未书面告知需补正的具体内容与期限。",
            now=days(20),
        )
        cases.case_start(case_id=appeal.pk, actor=center, now=days(19))
        cases.case_decide(
            case_id=appeal.pk,
            actor=center,
            upheld=True,
            reply="经核查申诉属实。已责令评价机构书面说明补正要求并限期整改，"
            "整改情况纳入年度监督检查。",
            now=days(12),
        )
    return code


def seed_record_audit(people, days) -> bool:
    """M§24: a record audit of the national institution with one finding, still open."""
    from supervision.models import RecordAudit
    from supervision.record_audits import (
        audited_applications,
        record_audit_finding_add,
        record_audit_open,
        record_audit_verify_chain,
    )

    national = people["institutions"]["national"]
    if RecordAudit.objects.filter(institution=national).exists():
        return False
    audit = record_audit_open(
        actor=people["center"],
        institution_id=national.pk,
        period_start=days(60).date().isoformat(),
        period_end=days(1).date().isoformat(),
        now=days(1),
    )
    # the worker's part, at once: the demo's chain is short
    audit = record_audit_verify_chain(audit_id=audit.pk, now=days(1))
    audited = audited_applications(audit).order_by("pk").first()
    record_audit_finding_add(
        audit_id=audit.pk,
        actor=people["center"],
        application_id=audited.pk if audited else None,
        text="现场审核记录缺少评价人员签字页，与评价报告所附记录不一致。",
        now=days(1),
    )
    return True


def seed_self_evaluations(people, days):
    """M§5: `applicant`'s self-evaluations, one completed (returned) and one in progress."""
    from rubrics.models import Rubric
    from rubrics.scoring import rubric_loaded
    from selection import services as selection
    from selection.models import SelfEvaluation

    actor = people["applicant"]
    if SelfEvaluation.objects.filter(organization_id=actor.organization_id).exists():
        return None
    if Rubric.objects.current(EvaluationKind.GRADE) is None:
        return None
    done = selection.self_evaluation_create(
        actor=actor, kind=EvaluationKind.GRADE, title=SELF_EVALUATION_TITLE, now=days(15)
    )
    criteria = rubric_loaded(done.rubric).criteria_list
    shares = [Decimal("0.9"), Decimal("0.8"), Decimal("0.7"), Decimal("0.85")]
    selection.self_evaluation_score(
        actor=actor,
        evaluation_id=done.pk,
        scores={
            c.code: str((c.max_score * shares[i % len(shares)]).quantize(Decimal("0.01")))
            for i, c in enumerate(criteria)
        },
        notes={criteria[0].code: "依据近三年审计报告与项目合同自评。"},
        now=days(14),
    )
    done = selection.self_evaluation_complete(actor=actor, evaluation_id=done.pk, now=days(14))
    draft = selection.self_evaluation_create(
        actor=actor, kind=EvaluationKind.GRADE, title="申报前复评（进行中）", now=days(2)
    )
    selection.self_evaluation_score(
        actor=actor,
        evaluation_id=draft.pk,
        scores={c.code: str(c.max_score) for c in criteria[:3]},
        now=days(2),
    )
    return done


def seed_selection(people, days) -> bool:
    """M§5: the association selects an operations supplier and invites `applicant`, which
    accepts and shares its completed self-evaluation; `applicant3` has not answered yet."""
    from selection import services as selection
    from selection.models import SelectionProject, SelfEvaluation

    buyer = people["applicant-assoc"]
    if SelectionProject.objects.filter(buyer_id=buyer.organization_id).exists():
        return False
    project = selection.selection_create(
        actor=buyer,
        title=SELECTION_TITLE,
        description="为会员单位集中遴选信息系统运维服务商，优先考虑持有有效证书的组织。",
        weights={"basic": 20, "technical": 30, "service": 35, "operational": 15},
        min_grade="IETS-3",
        requires_valid_certificate=True,
        now=days(10),
    )
    candidate = selection.selection_invite(
        actor=buyer,
        project_id=project.pk,
        organization_id=people["applicant"].organization_id,
        now=days(10),
    )
    selection.selection_invite(
        actor=buyer,
        project_id=project.pk,
        uscc=people["applicant3"].organization.uscc,
        now=days(10),
    )
    completed = (
        SelfEvaluation.objects.filter(
            organization_id=people["applicant"].organization_id, state="completed"
        )
        .order_by("pk")
        .first()
    )
    selection.candidate_answer(
        actor=people["applicant"],
        candidate_id=candidate.pk,
        accept=True,
        sharing="self_evaluation" if completed else "certificate",
        self_evaluation_id=completed.pk if completed else None,
        now=days(8),
    )
    return True
