"""The conditions and data of every application transition, in one table.

`STEPS[name]` says what a transition needs (its fields), checks its conditions and records its
data. The source, target and who may fire it are declared on the model's transition methods
(`applications/models/application.py`). `services.application_transition` runs a step.
"""

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _
from guardian.shortcuts import assign_perm
from stdnum.cn import uscc as uscc_check

from certificates.enums import CertificateStatus
from ietsportal.accounts.enums import OrganizationType, Role
from ietsportal.errors import Conflict, InvalidInput, NotPermitted, text_value
from institutions.enums import AssessorState
from institutions.models import Institution

from .enums import GRADE_ORDER, ApplicationState, EvaluationKind, Grade, ObjectionState
from .models import ExpertReview


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    kind: str = "text"  # text, textarea, date, score, grade, assessors, experts, user
    required: bool = True
    help: str = ""


@dataclass(frozen=True)
class Step:
    name: str
    label: str
    handler: Callable
    fields: tuple[Field, ...] = field(default_factory=tuple)
    style: str = "primary"  # primary, secondary, danger — for buttons
    notify_center: bool = False


# ---- parsing helpers: raw dicts from a form or JSON body, clear messages in the user's language


def _text(data, name, label, *, required=True, max_length=5000) -> str:
    return text_value(
        data.get(name, ""), field=name, label=label, required=required, max_length=max_length
    )


def _grade(data, name, label) -> str:
    value = data.get(name, "")
    if value not in GRADE_ORDER:
        raise InvalidInput(
            _g("%(field)s must be one of %(grades)s.")
            % {"field": label, "grades": ", ".join(GRADE_ORDER)},
            field=name,
        )
    return value


def _date(data, name, label, *, required=True) -> date | None:
    raw = data.get(name) or ""
    if not raw and not required:
        return None
    try:
        return date.fromisoformat(str(raw).strip())
    except ValueError:
        raise InvalidInput(
            _g("%(field)s must be a date (YYYY-MM-DD).") % {"field": label}, field=name
        ) from None


def _user_ids(data, name) -> list:
    raw = data.get(name)
    if raw in (None, ""):
        return []
    if isinstance(raw, str | int):
        raw = [raw]
    if not isinstance(raw, list | tuple):
        raise InvalidInput(_g("Choose people from the list."), field=name)
    return [str(item).strip() for item in raw if str(item).strip()]


def _users_by_ids(ids, queryset, name, message):
    wanted = set(ids)
    numeric = {int(i) for i in wanted if i.isdigit()}
    found = list(queryset.filter(pk__in=numeric)) + list(
        queryset.filter(username__in=wanted).exclude(pk__in=numeric)
    )
    found_keys = {str(u.pk) for u in found} | {u.username for u in found}
    missing = [i for i in wanted if i not in found_keys]
    if missing:
        raise InvalidInput(message % {"who": ", ".join(sorted(missing))[:200]}, field=name)
    return list({u.pk: u for u in found}.values())


# ---- M§13 eligibility, shown to the applicant before submitting and checked at submission


def eligibility_problems(application, *, now: datetime) -> list[str]:
    """M§11, M§13, M§10, R§16: what stops this application from being submitted."""
    problems = []
    org = application.organization
    if not uscc_check.is_valid(org.uscc):
        problems.append(_g("The organisation's unified social credit code is not valid (M§13)."))
    if not application.declares_independent_legal_person:
        problems.append(
            _g(
                "Declare that the organisation is an independent legal person "
                "registered in the PRC (M§13(1))."
            )
        )
    if not application.declares_no_violations:
        problems.append(
            _g(
                "Declare that there were no violations of law or serious dishonesty "
                "in the last three years (M§13(2))."
            )
        )
    from certificates.models import Certificate

    if Certificate.objects.filter(
        organization=org,
        status=CertificateStatus.REVOKED,
        status_changed_at__gte=now - relativedelta(years=3),
    ).exists():
        problems.append(
            _g(
                "A certificate of this organisation was revoked in the last three "
                "years, so it cannot apply now (M§13(2))."
            )
        )
    if application.kind == EvaluationKind.GRADE:
        if org.org_type != OrganizationType.ENTERPRISE:
            problems.append(
                _g(
                    "Only enterprises may apply for a graded IETS evaluation; other "
                    "organisations may apply for the innovation evaluation (M§11–12)."
                )
            )
        if application.requested_grade not in GRADE_ORDER:
            problems.append(_g("Choose the grade you apply for (M§11)."))
    institution = application.institution
    if not institution.is_accepting:
        problems.append(
            _g("%(institution)s is not accepting applications now (R§16).")
            % {"institution": institution.name}
        )
    elif not Institution.objects.available_to(org).filter(pk=institution.pk).exists():
        problems.append(
            _g(
                "%(institution)s is a local institution and accepts only "
                "organisations registered in its own region (M§10)."
            )
            % {"institution": institution.name}
        )
    if not application.evidence.exists():
        problems.append(_g("Attach at least one evidence file (M§13(3))."))
    return problems


# ---- the steps


def _submit(app, actor, data, now):
    problems = eligibility_problems(app, now=now)
    if problems:
        raise InvalidInput(" ".join(problems))
    app.submitted_at = now
    return {}


def _resubmit(app, actor, data, now):
    """补正: the applicant's answer (message and the files added since) closes the request."""
    note = _text(data, "note", _g("Answer to the request"), required=False)
    if not app.evidence.exists():
        raise InvalidInput(_g("Attach at least one evidence file (M§13(3))."))
    request = app.material_requests.filter(answered_at__isnull=True).first()
    result = {"note": note}
    if request is not None:
        files = list(request.files.values_list("original_name", flat=True))
        if not note and not files:
            raise InvalidInput(
                _g("Answer the request: write a message or add the files asked for."),
                field="note",
            )
        request.answer, request.answered_by, request.answered_at = note, actor, now
        request.save(update_fields=["answer", "answered_by", "answered_at"])
        result |= {"request": request.pk, "files": files}
    app.submitted_at = now
    return result


def rubric_for(app):
    """The rubric an application is scored with: the one it was accepted with, else the
    current version of its kind."""
    from rubrics.models import Rubric

    return app.rubric or Rubric.objects.current(app.kind)


def criteria_by_codes(app, codes, field):
    """Criteria of the application's rubric by code, or InvalidInput naming the unknown."""
    codes = [str(c).strip() for c in codes if str(c).strip()]
    if not codes:
        return []
    rubric = rubric_for(app)
    found = {c.code: c for c in rubric.criteria.filter(code__in=codes)} if rubric else {}
    unknown = sorted(set(codes) - set(found))
    if unknown:
        raise InvalidInput(
            _g("Unknown criteria for this rubric: %(codes)s.")
            % {"codes": ", ".join(unknown)[:200]},
            field=field,
        )
    return [found[c] for c in dict.fromkeys(codes)]


def _return_to_applicant(app, actor, data, now):
    """补正: a message, the criteria concerned (optional) and a deadline (default
    MATERIAL_REQUEST_DAYS days); the request is kept with its answer."""
    from .models import MaterialRequest

    message = _text(data, "reason", _g("Reason"))
    criteria = criteria_by_codes(app, _user_ids(data, "criteria"), "criteria")
    today = now.date()
    deadline = _date(data, "deadline", _g("Deadline"), required=False)
    if deadline is None:
        deadline = today + timedelta(days=getattr(settings, "MATERIAL_REQUEST_DAYS", 15))
    if deadline <= today:
        raise InvalidInput(_g("The deadline must be after today."), field="deadline")
    if deadline > today + timedelta(days=180):
        raise InvalidInput(_g("The deadline can be at most 180 days away."), field="deadline")
    request = MaterialRequest.objects.create(
        application=app, message=message, deadline=deadline, requested_by=actor, requested_at=now
    )
    request.criteria.set(criteria)
    app.last_reason = message
    return {
        "reason": message,
        "request": request.pk,
        "criteria": [c.code for c in criteria],
        "deadline": deadline,
    }


def _withdraw(app, actor, data, now):
    reason = _text(data, "reason", _g("Reason"), required=False)
    app.last_reason = reason
    app.closed_at = now
    return {"reason": reason}


def _reason_required(app, actor, data, now):
    reason = _text(data, "reason", _g("Reason"))
    app.last_reason = reason
    return {"reason": reason}


def _refuse(app, actor, data, now):
    result = _reason_required(app, actor, data, now)
    app.closed_at = now
    return result


def _accept(app, actor, data, now):
    """M§14(2), R§8, R§16: a suspended institution, or one below the staffing bar, accepts
    nothing new; registered assessors only."""
    if not app.institution.is_accepting:
        if app.institution.state == "approved" and app.institution.staffing_short_since:
            raise Conflict(
                _g(
                    "Your institution is below the staffing requirement (R§8): it cannot accept "
                    "new applications until its roster recovers."
                )
            )
        raise Conflict(_g("Your institution is not accepting applications now (R§16)."))
    from django.contrib.auth import get_user_model

    registered = get_user_model().objects.filter(
        role=Role.ASSESSOR,
        is_active=True,
        institution_id=app.institution_id,
        assessor_profile__state=AssessorState.REGISTERED,
    )
    message = _g("Not a registered assessor of this institution: %(who)s.")
    lead_ids = _user_ids(data, "lead_assessor")
    if len(lead_ids) != 1:
        raise InvalidInput(_g("Choose one lead assessor."), field="lead_assessor")
    (lead,) = _users_by_ids(lead_ids, registered, "lead_assessor", message)
    others = _users_by_ids(_user_ids(data, "assessors"), registered, "assessors", message)
    team = {lead.pk: lead, **{u.pk: u for u in others}}
    from institutions.models import ConflictDeclaration

    conflicted = {u.pk for u in team.values() if u.organization_id == app.organization_id}
    conflicted |= set(
        ConflictDeclaration.objects.filter(
            person_id__in=team, organization_id=app.organization_id
        ).values_list("person_id", flat=True)
    )
    if conflicted:
        raise InvalidInput(
            _g(
                "These assessors have a conflict of interest with %(organization)s and cannot "
                "be assigned: %(who)s."
            )
            % {
                "organization": app.organization.name,
                "who": ", ".join(sorted(team[pk].get_username() for pk in conflicted)),
            },
            field="lead_assessor" if lead.pk in conflicted else "assessors",
        )
    if len(team) < 2:
        raise InvalidInput(
            _g("Assign the lead assessor and at least one more assessor."), field="assessors"
        )
    from rubrics.models import Rubric

    rubric = app.rubric or Rubric.objects.current(app.kind)
    if rubric is None:
        raise Conflict(
            _g("No rubric is published for this kind of evaluation; ask the evaluation center.")
        )
    app.lead_assessor = lead
    app.accepted_at = now
    # M§3: kept for good, whatever the center publishes later (also when accepted again
    # after more material was asked for).
    app.rubric = rubric
    app.assessors.set(team.values())
    return {
        "lead_assessor": lead.username,
        "assessors": sorted(u.username for u in team.values()),
        "rubric": f"{rubric.kind} v{rubric.version}",
    }


def _finish_document_review(app, actor, data, now):
    app.document_review_notes = _text(data, "notes", _g("Document review notes"))
    return {"notes": app.document_review_notes}


AREA_FIELDS = (
    ("score_basic", _("Basic capability score")),
    ("score_technical", _("Technical capability score")),
    ("score_service", _("Service capability score")),
    ("score_operational", _("Operational capability score")),
)
AREA_OF_FIELD = {
    "basic": "score_basic",
    "technical": "score_technical",
    "service": "score_service",
    "operational": "score_operational",
}


def _nested(data, name) -> dict:
    """`{"scores": {"B1": "8"}}` (JSON) or `scores.B1=8` (a form): criterion code → value."""
    raw = data.get(name)
    out = {}
    if isinstance(raw, dict):
        out.update({str(k): v for k, v in raw.items()})
    elif raw not in (None, ""):
        raise InvalidInput(
            _g("“%(field)s” must map criterion codes to values.") % {"field": name}, field=name
        )
    prefix = name + "."
    for key, value in data.items():
        if isinstance(key, str) and key.startswith(prefix):
            out[key[len(prefix) :]] = value
    return out


def criterion_scores_parse(rubric, data) -> tuple[dict, object]:
    """M§3: a score within 0…maximum and a comment for every criterion of `rubric`; returns
    ({code: (score, comment)}, the computed result). Anything wrong: InvalidInput naming the
    criterion, so nothing is stored."""
    from rubrics import scoring

    scoring.rubric_loaded(rubric)
    scores, comments = _nested(data, "scores"), _nested(data, "comments")
    known = {c.code for c in rubric.criteria_list}
    unknown = sorted((set(scores) | set(comments)) - known)
    if unknown:
        raise InvalidInput(
            _g("Unknown criteria for this rubric: %(codes)s.")
            % {"codes": ", ".join(unknown)[:200]},
            field="scores",
        )
    parsed = {}
    for criterion in rubric.criteria_list:
        code = criterion.code
        raw = scores.get(code)
        if raw is None or raw == "":
            raise InvalidInput(
                _g("%(code)s: enter a score.") % {"code": code}, field=f"scores.{code}"
            )
        if isinstance(raw, list | dict | bool):
            raise InvalidInput(
                _g("%(code)s: enter a number.") % {"code": code}, field=f"scores.{code}"
            )
        try:
            value = scoring.parse_score(raw, criterion=criterion)
        except InvalidInput as exc:
            raise InvalidInput(exc.message, field=f"scores.{code}") from None
        comment = comments.get(code)
        if comment is not None and not isinstance(comment, str):
            raise InvalidInput(
                _g("%(code)s: the comment must be text.") % {"code": code},
                field=f"comments.{code}",
            )
        comment = (comment or "").strip()
        if not comment:
            raise InvalidInput(
                _g("%(code)s: write a comment on the score.") % {"code": code},
                field=f"comments.{code}",
            )
        if len(comment) > 2000:
            raise InvalidInput(
                _g("%(code)s: the comment is longer than 2000 characters.") % {"code": code},
                field=f"comments.{code}",
            )
        parsed[code] = (value, comment)
    result = scoring.score(rubric, {code: v for code, (v, _c) in parsed.items()})
    return parsed, result


def recommended_grade_of(app, data, computed: str) -> tuple[str, str]:
    """M§11, M§14(2): the recommended grade is the one the thresholds give; another one only
    with a written reason. Returns (grade, override reason)."""
    if app.kind != EvaluationKind.GRADE:
        return "", ""
    wanted = data.get("recommended_grade")
    if wanted in (None, ""):
        return computed, ""
    grade = _grade(data, "recommended_grade", _g("Recommended grade"))
    if grade == computed:
        return grade, ""
    reason = _text(data, "grade_override_reason", _g("Reason for another grade"), required=False)
    if not reason:
        raise InvalidInput(
            _g("The scores give %(computed)s; to recommend %(grade)s instead, write the reason.")
            % {"computed": computed or _g("no grade"), "grade": grade},
            field="grade_override_reason",
        )
    return grade, reason


def _file_report(app, actor, data, now):
    """M§14(2): criterion scores with comments; area scores, total and the recommended grade
    computed from the rubric the application was accepted with (M§3, M§11)."""
    from rubrics.models import Rubric

    from .models import CriterionScore

    rubric = app.rubric
    if rubric is None:  # accepted before rubrics existed: the current version, kept from now
        rubric = app.rubric = Rubric.objects.current(app.kind)
        if rubric is None:
            raise Conflict(_g("No rubric is published for this kind of evaluation."))
    parsed, result = criterion_scores_parse(rubric, data)
    onsite_on = _date(data, "onsite_visit_on", _g("On-site visit date"))
    if onsite_on > now.date() + timedelta(days=1):
        raise InvalidInput(
            _g("The on-site visit date cannot be in the future."), field="onsite_visit_on"
        )
    findings = _text(data, "onsite_findings", _g("On-site findings"))
    report = _text(data, "report", _g("Evaluation report"), max_length=20000)
    grade, override = recommended_grade_of(app, data, result.grade)
    for area, name in AREA_OF_FIELD.items():
        setattr(app, name, result.areas.get(area))
    app.score_total = result.total
    app.computed_grade = result.grade if app.kind == EvaluationKind.GRADE else ""
    app.onsite_visit_on, app.onsite_findings, app.report = onsite_on, findings, report
    app.recommended_grade, app.grade_override_reason = grade, override
    # A report filed again (after `send_back`) replaces the institution's scores; the audit log
    # keeps every earlier version.
    CriterionScore.objects.filter(application=app, review__isnull=True).delete()
    by_code = {c.code: c for c in rubric.criteria_list}
    CriterionScore.objects.bulk_create(
        CriterionScore(
            application=app,
            criterion=by_code[code],
            score=value,
            comment=comment,
            scored_by=actor,
            scored_at=now,
        )
        for code, (value, comment) in parsed.items()
    )
    return {
        "rubric": f"{rubric.kind} v{rubric.version}",
        "scores": {code: str(value) for code, (value, _c) in parsed.items()},
        "areas": {area: str(value) for area, value in result.areas.items()},
        "total": str(result.total),
        "computed_grade": app.computed_grade,
        "recommended_grade": grade,
        **({"grade_override_reason": override} if override else {}),
        "onsite_visit_on": onsite_on,
    }


def eligible_experts(app, *, exclude_ids=()):
    """M§8, M§14(3): experts who may review `app`: active, available, not employed by or
    members of the applicant, not staff of the evaluating institution, no declared conflict
    with the applicant (in the pool or on this application), and below their open-review cap
    (`Expert.max_open_reviews`; without an Expert profile, EXPERT_MAX_OPEN_REVIEWS)."""
    from django.contrib.auth import get_user_model
    from django.db.models import Count, F, Q
    from django.db.models.functions import Coalesce

    from institutions.models import ConflictDeclaration

    default_cap = getattr(settings, "EXPERT_MAX_OPEN_REVIEWS", 5)
    open_reviews = Count(
        "expert_reviews",
        filter=Q(
            expert_reviews__submitted_at__isnull=True,
            expert_reviews__conflict_declared=False,
            expert_reviews__application__state=ApplicationState.EXPERT_REVIEW,
        ),
    )
    return (
        get_user_model()
        .objects.filter(role=Role.EXPERT, is_active=True)
        .exclude(pk__in=list(exclude_ids))
        .exclude(organization_id=app.organization_id)
        .exclude(institution_id=app.institution_id)
        .exclude(expert_profile__employer_id=app.organization_id)
        .exclude(expert_profile__available=False)
        .exclude(
            pk__in=ConflictDeclaration.objects.filter(organization_id=app.organization_id).values(
                "person_id"
            )
        )
        .exclude(pk__in=app.expert_reviews.filter(conflict_declared=True).values("expert_id"))
        .annotate(
            open_reviews=open_reviews,
            cap=Coalesce("expert_profile__max_open_reviews", default_cap),
        )
        .filter(open_reviews__lt=F("cap"))
        .order_by("pk")
    )


def _start_expert_review(app, actor, data, now):
    """M§8, M§14(3): a panel drawn at random from the eligible experts, or picked by hand with
    a recorded reason; each panel member is granted the application (django-guardian)."""
    from django.contrib.auth import get_user_model

    pool = get_user_model().objects.filter(role=Role.EXPERT, is_active=True)
    eligible = list(eligible_experts(app))
    ids = _user_ids(data, "experts")
    pick_reason = ""
    if ids:
        panel = _users_by_ids(ids, pool, "experts", _g("Not an expert of the pool: %(who)s."))
        eligible_ids = {e.pk for e in eligible}
        barred = sorted(e.get_username() for e in panel if e.pk not in eligible_ids)
        if barred:
            raise InvalidInput(
                _g(
                    "Not eligible for this application (conflict of interest, unavailable or "
                    "at the workload cap): %(who)s."
                )
                % {"who": ", ".join(barred)[:200]},
                field="experts",
            )
        pick_reason = _text(data, "pick_reason", _g("Reason for picking experts by hand"))
    else:
        size = settings.EXPERT_PANEL_SIZE
        if len(eligible) < size:
            raise Conflict(
                _g(
                    "Only %(count)d experts of the pool are eligible for this application and "
                    "the panel needs %(size)d; pick experts by hand or add experts to the pool."
                )
                % {"count": len(eligible), "size": size},
                field="experts",
            )
        panel = random.SystemRandom().sample(eligible, size)
    if not panel:
        raise Conflict(_g("The expert pool is empty: add experts before starting the review."))
    round_no = (max((r.round for r in app.expert_reviews.all()), default=0)) + 1
    ExpertReview.objects.bulk_create(
        [
            ExpertReview(
                application=app, expert=e, round=round_no, assigned_at=now, pick_reason=pick_reason
            )
            for e in panel
        ]
    )
    for expert in panel:
        assign_perm("applications.review_application", expert, app)
    return {
        "experts": sorted(e.username for e in panel),
        "round": round_no,
        **({"pick_reason": pick_reason} if pick_reason else {}),
    }


def current_round_reviews(app):
    """The current panel round, without experts replaced after declaring a conflict."""
    round_no = max((r.round for r in app.expert_reviews.all()), default=0)
    return [r for r in app.expert_reviews.all() if r.round == round_no and not r.conflict_declared]


def panel_grade(app) -> str:
    """The median of the grades the current panel supports (the lower middle one for an even
    count); "" when no expert supports a grade."""
    grades = sorted(
        GRADE_ORDER.index(r.grade)
        for r in current_round_reviews(app)
        if r.submitted_at and r.approves and r.grade
    )
    if not grades:
        return ""
    return GRADE_ORDER[grades[(len(grades) - 1) // 2]]


def grade_gap(app) -> int | None:
    """How many grades apart the institution's recommendation and the panel's median are;
    None when either is missing. The center's page flags a gap of one grade or more."""
    panel = panel_grade(app)
    if not panel or app.recommended_grade not in GRADE_ORDER:
        return None
    return abs(GRADE_ORDER.index(panel) - GRADE_ORDER.index(app.recommended_grade))


def _confirm(app, actor, data, now):
    """M§7, M§14(4): confirm the result once every expert of the panel has given an opinion."""
    reviews = current_round_reviews(app)
    pending = [r.expert.get_username() for r in reviews if r.submitted_at is None]
    if not reviews or pending:
        raise Conflict(
            _g("Waiting for expert opinions from: %(who)s.") % {"who": ", ".join(pending) or "—"}
        )
    grade = ""
    if app.kind == EvaluationKind.GRADE:
        grade = _grade(data, "final_grade", _g("Final grade"))
    app.final_grade = grade
    app.last_reason = _text(
        data,
        "reason",
        _g("Remarks"),
        required=bool(grade) and grade != app.recommended_grade,
    )
    from .batches import publicity_batch_assign  # M§14(4): publicity in batches

    return {"final_grade": grade, **publicity_batch_assign(app, data, actor, now)}


def _close_open_objections(app, actor, now, reason):
    return app.objections.filter(state=ObjectionState.OPEN).update(
        state=ObjectionState.UPHELD, decided_at=now, decided_by=actor, decision_reason=reason
    )


def _reject(app, actor, data, now):
    result = _reason_required(app, actor, data, now)
    if app.state == ApplicationState.PUBLICITY:
        result["objections_upheld"] = _close_open_objections(app, actor, now, result["reason"])
    app.closed_at = now
    return result


def _reopen_review(app, actor, data, now):
    """An upheld objection reopens the expert review with a new panel round: the earlier
    opinions stay on record but no longer count for `confirm`."""
    result = _reason_required(app, actor, data, now)
    result["objections_upheld"] = _close_open_objections(app, actor, now, result["reason"])
    app.publicity_starts_at = app.publicity_ends_at = None
    return {**result, **_start_expert_review(app, actor, data, now)}


def _reconsider(app, actor, data, now):
    """M§25: an upheld reconsideration (复议) of a result that did not pass reopens the
    expert review with a new panel round, like an upheld objection during publicity. Only the
    supervision case decision may fire it: it passes the upheld case itself in `data["case"]`,
    which no form or JSON body can hold."""
    from supervision.enums import CaseKind, CaseState
    from supervision.models import Case

    case = data.get("case")
    concerns = isinstance(case, Case) and (
        case.application_id == app.pk
        or (case.certificate_id is not None and case.certificate.application_id == app.pk)
    )
    if not (concerns and case.kind == CaseKind.RECONSIDERATION and case.state == CaseState.UPHELD):
        raise NotPermitted(
            _g(
                "Only an upheld reconsideration (M§25) reopens a result that did not pass: the "
                "applicant asks for it as a case, and the center decides the case."
            )
        )
    result = _reason_required(app, actor, data, now)
    app.reconsideration_case = case.number
    app.final_grade = ""
    app.publicity_starts_at = app.publicity_ends_at = app.closed_at = None
    review = _start_expert_review(app, actor, data, now)
    return {**result, "case": case.number, **review}


def _issue(app, actor, data, now):
    """M§14(5): issue when the 7 days have passed and no objection is open."""
    if app.publicity_ends_at is None or now < app.publicity_ends_at:
        raise Conflict(_g("The publicity period has not ended yet."))
    if app.objections.filter(state=ObjectionState.OPEN).exists():
        raise Conflict(_g("An objection is still open: decide it first."))
    app.closed_at = now
    return {}


REASON = Field("reason", _("Reason"), "textarea")
STEPS: dict[str, Step] = {
    s.name: s
    for s in [
        Step("submit", _("Submit the application"), _submit),
        Step(
            "resubmit",
            _("Submit the supplemented material"),
            _resubmit,
            (Field("note", _("Answer to the request"), "textarea", required=False),),
        ),
        Step(
            "withdraw",
            _("Withdraw the application"),
            _withdraw,
            (Field("reason", _("Reason"), "textarea", required=False),),
            style="danger",
        ),
        Step(
            "accept",
            _("Accept and assign assessors"),
            _accept,
            (
                Field("lead_assessor", _("Lead assessor"), "user"),
                Field("assessors", _("Other assessors"), "assessors"),
            ),
        ),
        Step("refuse", _("Do not accept"), _refuse, (REASON,), style="danger"),
        Step(
            "return_to_applicant",
            _("Ask for more material"),
            _return_to_applicant,
            (
                Field("reason", _("What is needed"), "textarea"),
                Field("criteria", _("Criteria concerned"), "criteria_pick", required=False),
                Field(
                    "deadline",
                    _("Deadline (empty: in 15 days)"),
                    "date",
                    required=False,
                ),
            ),
            style="secondary",
        ),
        Step(
            "finish_document_review",
            _("Finish the document review"),
            _finish_document_review,
            (Field("notes", _("Document review notes"), "textarea"),),
        ),
        Step(
            "file_report",
            _("File the evaluation report"),
            _file_report,
            (
                Field("onsite_visit_on", _("On-site visit date"), "date"),
                Field("onsite_findings", _("On-site findings"), "textarea"),
                Field("scores", _("Scores by criterion"), "criteria"),
                Field(
                    "recommended_grade",
                    _("Recommended grade (leave empty for the computed one)"),
                    "grade",
                    required=False,
                ),
                Field(
                    "grade_override_reason",
                    _("Reason for another grade than the computed one"),
                    "textarea",
                    required=False,
                ),
                Field("report", _("Evaluation report"), "textarea"),
            ),
            notify_center=True,
        ),
        Step(
            "start_expert_review",
            _("Start the expert review"),
            _start_expert_review,
            (
                Field(
                    "experts",
                    _("Experts (leave empty to draw at random)"),
                    "experts",
                    required=False,
                ),
                Field(
                    "pick_reason",
                    _("Reason for picking experts by hand"),
                    "textarea",
                    required=False,
                ),
            ),
        ),
        Step(
            "send_back",
            _("Send back to on-site review"),
            _reason_required,
            (REASON,),
            style="secondary",
        ),
        Step(
            "confirm",
            _("Confirm the result and open the publicity"),
            _confirm,
            (
                Field("final_grade", _("Final grade"), "grade"),
                Field(
                    "reason",
                    _("Reasons (required for another grade than the recommended one)"),
                    "textarea",
                    required=False,
                ),
                Field(
                    "batch",
                    _("Publicity batch"),
                    "batch",
                    required=False,
                    help=_("Empty: the next open batch, or published at once if none is open."),
                ),
            ),
        ),
        Step("reject", _("Do not pass"), _reject, (REASON,), style="danger"),
        Step(
            "reopen_review",
            _("Uphold the objection and reopen the expert review"),
            _reopen_review,
            (
                REASON,
                Field(
                    "experts",
                    _("Experts (leave empty to draw at random)"),
                    "experts",
                    required=False,
                ),
                Field(
                    "pick_reason",
                    _("Reason for picking experts by hand"),
                    "textarea",
                    required=False,
                ),
            ),
            style="secondary",
        ),
        Step(
            "reconsider",
            _("Uphold the reconsideration and reopen the expert review (M§25)"),
            _reconsider,
            (REASON,),
            style="secondary",
        ),
        Step("issue", _("Issue the certificate"), _issue),
    ]
}


def grade_choices():
    return [(g.value, g.label) for g in Grade]
