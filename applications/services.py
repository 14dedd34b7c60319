"""Every write to an application goes through here (STYLE: services)."""

import logging
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _g
from django_fsm import ConcurrentTransition, can_proceed
from guardian.shortcuts import assign_perm

from ietsportal.accounts.enums import Role
from ietsportal.audit.services import audit_record
from ietsportal.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    NotPermitted,
)
from ietsportal.notifications.services import notification_create
from ietsportal.uploads import (
    EVIDENCE_TYPES,
    content_sniff,
    filename_clean,
    upload_row,
    upload_validate,
    uploads_stored,
)
from institutions.models import Institution

from .enums import CLOSED_STATES, ApplicationState, EvaluationKind, Grade, ObjectionState
from .models import Application, Evidence, ExpertReview, MaterialRequest, Objection
from .workflow import STEPS, criteria_by_codes, current_round_reviews

logger = logging.getLogger(__name__)


# ---- drafts


def application_create(
    *,
    actor,
    institution_id,
    kind: str,
    requested_grade: str = "",
    description: str = "",
    declares_independent_legal_person: bool = False,
    declares_no_violations: bool = False,
    previous_certificate: str = "",
    now: datetime,
) -> Application:
    """An applicant starts a draft addressed to one institution; with `previous_certificate`
    (a number) it is the re-evaluation of that certificate (M§16)."""
    if not actor.is_applicant:
        raise NotPermitted(_g("Only applicant organisations can create applications."))
    org = actor.organization
    if kind not in EvaluationKind.values:
        raise InvalidInput(_g("Choose a kind of evaluation."), field="kind")
    if kind == EvaluationKind.GRADE and requested_grade not in Grade.values:
        raise InvalidInput(_g("Choose the grade you apply for (M§11)."), field="requested_grade")
    if kind == EvaluationKind.INNOVATION:
        requested_grade = ""
    institution = Institution.objects.available_to(org).filter(pk=institution_id).first()
    if institution is None:
        raise InvalidInput(
            _g("Choose an institution that accepts your organisation (M§10)."), field="institution"
        )
    if len(description) > 5000:
        raise InvalidInput(
            _g("The description is longer than 5000 characters."), field="description"
        )
    with transaction.atomic():
        previous = _reevaluated_certificate(previous_certificate, actor, kind, now)
        app = Application.objects.create(
            number=f"tmp-{now.timestamp()}-{actor.pk}",
            previous_certificate=previous,
            organization=org,
            institution=institution,
            kind=kind,
            requested_grade=requested_grade,
            description=description,
            declares_independent_legal_person=bool(declares_independent_legal_person),
            declares_no_violations=bool(declares_no_violations),
            created_by=actor,
            created_at=now,
            updated_at=now,
        )
        app.number = f"SQ{now.year}{app.pk:07d}"
        app.save(update_fields=["number"])
        audit_record(
            actor=actor,
            action="application.create",
            obj=app,
            now=now,
            data={
                "number": app.number,
                "institution": institution.name,
                "kind": kind,
                "requested_grade": requested_grade,
                **({"previous_certificate": previous.number} if previous else {}),
            },
        )
    return app


def _reevaluated_certificate(number: str, actor, kind: str, now: datetime):
    """M§16: a re-evaluation only of one's own valid certificate, only in the 3 months before
    it expires, one at a time."""
    from django.utils import timezone

    from certificates.enums import CertificateStatus
    from certificates.models import Certificate
    from certificates.services import reevaluation_window

    number = (number or "").strip()
    if not number:
        return None
    certificate = (
        Certificate.objects.select_for_update()
        .filter(number=number, organization_id=actor.organization_id)
        .first()
    )
    if certificate is None:
        raise InvalidInput(
            _g("You hold no certificate with this number."), field="previous_certificate"
        )
    if certificate.status != CertificateStatus.VALID:
        raise Conflict(
            _g("Only a valid certificate can be re-evaluated (M§16–17)."),
            field="previous_certificate",
        )
    if certificate.kind != kind:
        raise InvalidInput(
            _g("A re-evaluation is of the same kind as the certificate."), field="kind"
        )
    opens, closes = reevaluation_window(certificate)
    today = timezone.localdate(now)
    if not opens <= today <= closes:
        raise Conflict(
            _g(
                "A re-evaluation may be filed only from %(opens)s to %(closes)s, the 3 months "
                "before the certificate expires (M§16)."
            )
            % {"opens": opens.isoformat(), "closes": closes.isoformat()},
            field="previous_certificate",
        )
    if certificate.reevaluations.exclude(state__in=CLOSED_STATES).exists():
        raise Conflict(
            _g("A re-evaluation of this certificate is already under way."),
            field="previous_certificate",
        )
    return certificate


DRAFT_FIELDS = {
    "description",
    "requested_grade",
    "declares_independent_legal_person",
    "declares_no_violations",
}


def application_update_draft(
    *, application: Application, actor, data: dict, now: datetime
) -> Application:
    with transaction.atomic():
        app = Application.objects.select_for_update().get(pk=application.pk)
        if not (actor.is_applicant and actor.organization_id == app.organization_id):
            raise NotPermitted()
        if app.state not in (ApplicationState.DRAFT, ApplicationState.RETURNED_TO_APPLICANT):
            raise Conflict(_g("Only a draft can be edited."))
        changed = {}
        for key, value in data.items():
            if key not in DRAFT_FIELDS:
                continue
            if key == "requested_grade":
                if app.kind != EvaluationKind.GRADE or value not in Grade.values:
                    raise InvalidInput(_g("Choose the grade you apply for (M§11)."), field=key)
            elif key == "description":
                if not isinstance(value, str) or len(value) > 5000:
                    raise InvalidInput(
                        _g("The description is longer than 5000 characters."), field=key
                    )
            else:
                value = bool(value)
            setattr(app, key, value)
            changed[key] = value
        app.updated_at = now
        app.save(update_fields=[*changed, "updated_at"])
        audit_record(actor=actor, action="application.update", obj=app, now=now, data=changed)
    return app


# ---- evidence (M§13(3))

# The checks live in ietsportal/uploads.py; these names stay for the callers that use them.
ALLOWED_EVIDENCE = EVIDENCE_TYPES
clean_filename = filename_clean


def sniff_evidence(upload, name: str) -> str:
    """The content decides the type; the name's extension must agree with it."""
    upload.seek(0)
    head = upload.read(8192)
    upload.seek(0)
    return content_sniff(head, name, allowed=EVIDENCE_TYPES)[0]


def evidence_add(
    *,
    application: Application,
    actor,
    upload,
    description: str = "",
    criterion: str = "",
    now: datetime,
) -> Evidence:
    """M§13(3): a file of evidence, optionally for one criterion (by code) of the application's
    rubric; added while more material is asked for, it belongs to that request's answer. Every
    check of `upload_validate` first (nothing is stored on a refusal), then the file under a
    server-generated name, its row and its audit entry in one transaction."""
    checked = upload_validate(upload, allowed=EVIDENCE_TYPES, max_bytes=settings.EVIDENCE_MAX_BYTES)
    if len(description) > 200:
        raise InvalidInput(
            _g("The description is longer than 200 characters."), field="description"
        )
    with uploads_stored() as store, transaction.atomic():
        app = Application.objects.select_for_update().get(pk=application.pk)
        if not (actor.is_applicant and actor.organization_id == app.organization_id):
            raise NotPermitted(_g("Only the applicant can add evidence."))
        if app.state not in (ApplicationState.DRAFT, ApplicationState.RETURNED_TO_APPLICANT):
            raise Conflict(
                _g("Evidence can be added to a draft or when more material is requested.")
            )
        linked = criteria_by_codes(app, [criterion or ""], "criterion")
        open_request = (
            app.material_requests.filter(answered_at__isnull=True).first()
            if app.state == ApplicationState.RETURNED_TO_APPLICANT
            else None
        )
        evidence = upload_row(
            store,
            Evidence,
            upload,
            checked,
            application=app,
            criterion=linked[0] if linked else None,
            material_request=open_request,
            description=description.strip(),
            uploaded_by=actor,
            uploaded_at=now,
        )
        audit_record(
            actor=actor,
            action="evidence.add",
            obj=app,
            now=now,
            data={
                **checked.audited,
                **({"criterion": linked[0].code} if linked else {}),
                **({"request": open_request.pk} if open_request else {}),
            },
        )
    return evidence


# ---- transitions


def available_transitions(application: Application, user) -> list[str]:
    """The transitions `user` may fire now, by name (DESIGN.md public contract)."""
    names = []
    for transition in application.get_available_state_transitions():
        name = transition.name
        if name in STEPS and user is not None and transition.has_perm(application, user):
            names.append(name)
    return names


def _recipients_for(app: Application, step_name: str):
    from django.contrib.auth import get_user_model

    users = get_user_model().objects.filter(is_active=True)
    people = list(users.filter(role=Role.APPLICANT, organization_id=app.organization_id))
    people += list(users.filter(role=Role.INSTITUTION_ADMIN, institution_id=app.institution_id))
    if step_name in {"file_report", "issue"}:
        people += list(users.filter(role=Role.CENTER_STAFF))
    people += list(app.assessors.all())
    return people


def application_transition(
    *,
    application_id: int,
    name: str,
    actor,
    data: dict | None = None,
    now: datetime,
    system: bool = False,
) -> Application:
    """Fire one transition: lock, check who and when, change, audit, notify after commit.

    `system=True` is the scheduled job's own authority (the issue step); everyone else is
    checked against the transition's permission predicate.
    """
    step = STEPS.get(name)
    if step is None:
        raise NotFound(_g("There is no transition called “%(name)s”.") % {"name": name[:50]})
    data = data or {}
    try:
        with transaction.atomic():
            app = (
                Application.objects.select_for_update()
                .select_related("organization", "institution")
                .get(pk=application_id)
            )
            method = getattr(app, name)
            transition = next(
                t
                for t in app._meta.get_field("state").get_all_transitions(Application)
                if t.name == name
            )
            if not system and not transition.has_perm(app, actor):
                raise NotPermitted(
                    _g("You may not “%(step)s” on this application.") % {"step": step.label}
                )
            if not can_proceed(method, check_conditions=False):
                raise Conflict(
                    _g("“%(step)s” is not possible while the application is “%(state)s”.")
                    % {"step": step.label, "state": app.get_state_display()}
                )
            source = app.state
            details = step.handler(app, actor, data, now) or {}
            method()
            app.updated_at = now
            app.save()
            audit_record(
                actor=None if system else actor,
                action=f"application.{name}",
                obj=app,
                now=now,
                data={"from": source, "to": app.state, **details},
            )
            if name == "issue":
                from certificates.services import certificate_create_for, certificate_replace_for

                certificate_replace_for(application=app, now=now)
                certificate = certificate_create_for(
                    application=app, actor=None if system else actor, now=now
                )
                notification_create(
                    recipients=_recipients_for(app, name),
                    key="certificate.issued",
                    params={"certificate": certificate.number, "number": app.number},
                    link=reverse("verify-detail", args=[certificate.number]),
                    now=now,
                )
            else:
                notification_create(
                    recipients=[u for u in _recipients_for(app, name) if u != actor],
                    key="application.transition",
                    params={"number": app.number, "transition": name, "state": app.state},
                    link=reverse("applications:application-detail", args=[app.pk]),
                    now=now,
                )
            if name == "accept":
                notification_create(
                    recipients=app.assessors.all(),
                    key="application.assigned",
                    params={"number": app.number},
                    link=reverse("applications:application-detail", args=[app.pk]),
                    now=now,
                )
            if name == "start_expert_review":
                notification_create(
                    recipients=[r.expert for r in current_round_reviews(app)],
                    key="application.expert_assigned",
                    params={"number": app.number},
                    link=reverse("applications:application-detail", args=[app.pk]),
                    now=now,
                )
    except Application.DoesNotExist:
        raise NotFound() from None
    except ConcurrentTransition:
        raise Conflict(
            _g("Someone else changed this application at the same time; reload and try again.")
        ) from None
    return app


def _my_review(app, actor):
    if app.state != ApplicationState.EXPERT_REVIEW:
        raise Conflict(_g("Opinions can be given only during the expert review."))
    review = next((r for r in current_round_reviews(app) if r.expert_id == actor.pk), None)
    if review is None:
        raise NotPermitted(_g("You are not on this application's expert panel."))
    return review


def expert_declare(
    *, application_id: int, actor, has_conflict: bool, reason: str = "", now: datetime
) -> ExpertReview:
    """M§8, M§14(3): a drawn expert first declares whether they have a conflict of interest
    with the applicant. With one, they leave the panel (and the application) and a
    replacement is drawn from the eligible experts, when there is one."""
    from guardian.shortcuts import remove_perm

    from .workflow import eligible_experts

    if has_conflict not in (True, False):
        raise InvalidInput(_g("Say whether you have a conflict of interest."), field="has_conflict")
    reason = (reason or "").strip()
    if has_conflict and not reason:
        raise InvalidInput(_g("Describe the conflict of interest."), field="reason")
    if len(reason) > 2000:
        raise InvalidInput(_g("The description is longer than 2000 characters."), field="reason")
    with transaction.atomic():
        app = Application.objects.select_for_update().get(pk=application_id)
        review = _my_review(app, actor)
        if review.declared_at is not None:
            raise Conflict(_g("You have already made your declaration."))
        review.declared_at = now
        review.conflict_declared, review.conflict_reason = has_conflict, reason
        review.save(update_fields=["declared_at", "conflict_declared", "conflict_reason"])
        data = {"expert": actor.username, "conflict": has_conflict}
        replacement = None
        if has_conflict:
            remove_perm("applications.review_application", actor, app)
            on_panel = [r.expert_id for r in app.expert_reviews.filter(round=review.round)]
            candidates = list(eligible_experts(app, exclude_ids=on_panel))
            if candidates:
                import random

                replacement = random.SystemRandom().choice(candidates)
                ExpertReview.objects.create(
                    application=app, expert=replacement, round=review.round, assigned_at=now
                )
                assign_perm("applications.review_application", replacement, app)
            data |= {"reason": reason, "replacement": getattr(replacement, "username", "")}
        audit_record(
            actor=actor,
            action="application.expert_declaration",
            obj=app,
            now=now,
            visible_to_applicant=False,
            data=data,
        )
        link = reverse("applications:application-detail", args=[app.pk])
        if replacement is not None:
            notification_create(
                recipients=[replacement],
                key="application.expert_assigned",
                params={"number": app.number},
                link=link,
                now=now,
            )
        if has_conflict:
            from django.contrib.auth import get_user_model

            notification_create(
                recipients=get_user_model().objects.filter(role=Role.CENTER_STAFF, is_active=True),
                key="application.expert_conflict",
                params={
                    "number": app.number,
                    "expert": actor.username,
                    "replacement": getattr(replacement, "username", "—"),
                },
                link=link,
                now=now,
            )
    return review


def expert_opinion_submit(
    *,
    application_id: int,
    actor,
    opinion: str,
    approves,
    recommended_grade: str = "",
    scores: dict | None = None,
    comments: dict | None = None,
    now: datetime,
) -> ExpertReview:
    """M§14(3): each expert, having declared no conflict, records an independent opinion and,
    optionally, scores criterion by criterion with a comment each (then the grade the scores
    give is the expert's unless they choose another)."""
    from .models import CriterionScore
    from .workflow import criterion_scores_parse, rubric_for

    with transaction.atomic():
        app = Application.objects.select_for_update().get(pk=application_id)
        review = _my_review(app, actor)
        if review.declared_at is None:
            raise Conflict(
                _g("First declare that you have no conflict of interest with the applicant.")
            )
        if review.submitted_at is not None:
            raise Conflict(_g("You have already given your opinion."))
        opinion = (opinion or "").strip()
        if not opinion:
            raise InvalidInput(_g("Write your opinion."), field="opinion")
        if len(opinion) > 10000:
            raise InvalidInput(_g("The opinion is longer than 10000 characters."), field="opinion")
        if approves not in (True, False):
            raise InvalidInput(_g("Say whether you recommend passing."), field="approves")
        parsed, result = {}, None
        if scores:
            rubric = rubric_for(app)
            parsed, result = criterion_scores_parse(
                rubric, {"scores": scores, "comments": comments or {}}
            )
        computed = result.grade if result and app.kind == EvaluationKind.GRADE else ""
        if app.kind == EvaluationKind.GRADE and approves:
            if recommended_grade in (None, "") and computed:
                recommended_grade = ""
            elif recommended_grade not in Grade.values:
                raise InvalidInput(_g("Choose the grade you support."), field="recommended_grade")
        else:
            recommended_grade = ""
        review.opinion, review.approves = opinion, approves
        review.recommended_grade, review.submitted_at = recommended_grade, now
        review.score_total = result.total if result else None
        review.computed_grade = computed
        review.save(
            update_fields=[
                "opinion",
                "approves",
                "recommended_grade",
                "submitted_at",
                "score_total",
                "computed_grade",
            ]
        )
        if parsed:
            by_code = {c.code: c for c in rubric.criteria_list}
            CriterionScore.objects.bulk_create(
                CriterionScore(
                    application=app,
                    review=review,
                    criterion=by_code[code],
                    score=value,
                    comment=comment,
                    scored_by=actor,
                    scored_at=now,
                )
                for code, (value, comment) in parsed.items()
            )
        audit_record(
            actor=actor,
            action="application.expert_opinion",
            obj=app,
            now=now,
            visible_to_applicant=False,
            data={
                "expert": actor.username,
                "approves": approves,
                "recommended_grade": recommended_grade,
                **(
                    {
                        "scores": {c: str(v) for c, (v, _c) in parsed.items()},
                        "total": str(result.total),
                        "computed_grade": computed,
                    }
                    if parsed
                    else {}
                ),
            },
        )
    return review


# ---- publicity objections (M§14(4))


def objection_file(
    *, application_id: int, name: str, contact: str, reason: str, now: datetime
) -> Objection:
    name, contact, reason = (name or "").strip(), (contact or "").strip(), (reason or "").strip()
    if not name or not contact:
        raise InvalidInput(
            _g(
                "Objections must give a real name and a contact; anonymous "
                "objections are not accepted."
            )
        )
    if not reason:
        raise InvalidInput(_g("Give the reasons for the objection."), field="reason")
    if len(name) > 100 or len(contact) > 200 or len(reason) > 5000:
        raise InvalidInput(
            _g("The objection is too long (name 100, contact 200, reasons 5000 characters).")
        )
    with transaction.atomic():
        app = Application.objects.select_for_update().filter(pk=application_id).first()
        if (
            app is None
            or app.state != ApplicationState.PUBLICITY
            or app.publicity_ends_at is None  # its batch is not published yet (M§14(4))
        ):
            raise NotFound(_g("This entry is not in publicity."))
        if now >= app.publicity_ends_at:
            raise Conflict(_g("The publicity period has ended; objections are closed."))
        objection = Objection.objects.create(
            application=app, name=name, contact=contact, reason=reason, filed_at=now
        )
        audit_record(
            actor=None,
            action="application.objection",
            obj=app,
            now=now,
            visible_to_applicant=False,
            data={"objection": objection.pk},
        )
        from django.contrib.auth import get_user_model

        notification_create(
            recipients=get_user_model().objects.filter(role=Role.CENTER_STAFF, is_active=True),
            key="application.objection",
            params={"number": app.number},
            link=reverse("applications:application-detail", args=[app.pk]),
            now=now,
        )
    return objection


def objection_dismiss(*, objection_id: int, actor, reason: str, now: datetime) -> Objection:
    if not actor.is_center_staff:
        raise NotFound()
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_g("Reason is required."), field="reason")
    with transaction.atomic():
        objection = Objection.objects.select_for_update().filter(pk=objection_id).first()
        if objection is None:
            raise NotFound()
        if objection.state != ObjectionState.OPEN:
            raise Conflict(_g("This objection has already been decided."))
        objection.state, objection.decided_at = ObjectionState.DISMISSED, now
        objection.decided_by, objection.decision_reason = actor, reason
        objection.save(update_fields=["state", "decided_at", "decided_by", "decision_reason"])
        audit_record(
            actor=actor,
            action="objection.dismiss",
            obj=objection.application,
            now=now,
            visible_to_applicant=False,
            data={"objection": objection.pk, "reason": reason},
        )
    return objection


# ---- scheduled (M§14(5))


def applications_issue_due(*, now: datetime) -> int:
    """Issue every application whose publicity has ended with no open objection. Idempotent:
    a second run (or a concurrent one) finds nothing left to issue."""
    due = (
        Application.objects.filter(state=ApplicationState.PUBLICITY, publicity_ends_at__lte=now)
        .exclude(objections__state=ObjectionState.OPEN)
        .values_list("pk", flat=True)
    )
    issued = 0
    for pk in list(due):
        try:
            application_transition(
                application_id=pk, name="issue", actor=None, now=now, system=True
            )
            issued += 1
        except Conflict:
            logger.info("application %s was issued or changed by someone else", pk)
    return issued


def material_requests_notify_overdue(*, now: datetime) -> int:
    """补正: tell the applicant and the institution once when a request for more material is
    past its deadline and unanswered. Set-based and idempotent: the same few queries whatever
    the number of requests; a request is flagged once (`overdue_notified_at`)."""
    from django.contrib.auth import get_user_model
    from django.db.models import Q
    from django.utils import timezone

    from ietsportal.audit.services import audit_records_bulk
    from ietsportal.notifications.services import notifications_create_many

    today = timezone.localdate(now)
    with transaction.atomic():
        due = list(
            MaterialRequest.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(
                answered_at__isnull=True,
                overdue_notified_at__isnull=True,
                deadline__lt=today,
                application__state=ApplicationState.RETURNED_TO_APPLICANT,
            )
            .values_list(
                "pk",
                "deadline",
                "application_id",
                "application__number",
                "application__organization_id",
                "application__institution_id",
            )
        )
        if not due:
            return 0
        orgs = {row[4] for row in due}
        insts = {row[5] for row in due}
        people = list(
            get_user_model()
            .objects.filter(is_active=True)
            .filter(
                Q(role=Role.APPLICANT, organization_id__in=orgs)
                | Q(role=Role.INSTITUTION_ADMIN, institution_id__in=insts)
            )
        )
        items = []
        for _pk, deadline, app_id, number, org_id, inst_id in due:
            recipients = [
                u
                for u in people
                if (u.role == Role.APPLICANT and u.organization_id == org_id)
                or (u.role == Role.INSTITUTION_ADMIN and u.institution_id == inst_id)
            ]
            items.append(
                (
                    recipients,
                    "application.material_overdue",
                    {"number": number, "deadline": deadline.isoformat()},
                    reverse("applications:application-detail", args=[app_id]),
                )
            )
        notifications_create_many(items=items, now=now)
        MaterialRequest.objects.filter(pk__in=[row[0] for row in due]).update(
            overdue_notified_at=now
        )
        audit_records_bulk(
            actor=None,
            action="application.material_overdue",
            model=Application,
            items=[(row[2], {"request": row[0], "deadline": row[1]}) for row in due],
            now=now,
        )
    return len(due)
