"""Every write to a case goes through here (STYLE: services). M§23–26."""

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransition, can_proceed

from applications.enums import ApplicationState
from applications.models import Application
from certificates.models import Certificate
from ietsportal.accounts.enums import Role
from ietsportal.audit.services import audit_record
from ietsportal.errors import Conflict, InvalidInput, NotFound, NotPermitted, text_value
from ietsportal.notifications.services import notification_create
from ietsportal.uploads import upload_row, upload_validate, uploads_stored
from institutions.enums import AssessorState, InstitutionState
from institutions.models import Assessor, Institution

from .conf import setting
from .enums import CaseKind, CaseState, SubjectKind
from .models import Case, CaseEvidence, CaseNote

MAX_EVIDENCE_FILES = 10
# Results an applicant may ask to reconsider (M§25): the center has decided on them.
RESULT_STATES = (ApplicationState.PUBLICITY, ApplicationState.REJECTED, ApplicationState.ISSUED)
PUBLIC_INSTITUTION_STATES = (InstitutionState.APPROVED, InstitutionState.SUSPENDED)
PUBLIC_ASSESSOR_STATES = (AssessorState.REGISTERED, AssessorState.SUSPENDED)


# ---- receipt codes (anonymous reports)

RECEIPT_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I


def receipt_code_new() -> str:
    """20 random characters (100 bits) in groups of four: shown once, stored as a hash."""
    raw = "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(20))
    return "-".join(raw[i : i + 4] for i in range(0, 20, 4))


def receipt_normalise(code: str) -> str:
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())[:40]


def receipt_hash(code: str) -> str:
    return hashlib.sha256(receipt_normalise(code).encode()).hexdigest()


def case_by_receipt(code: str) -> Case:
    """The anonymous reporter's view of their case. A wrong code is a plain 404; the stored
    hash is compared in constant time."""
    normalised = receipt_normalise(code)
    if len(normalised) != 20:
        raise NotFound(_g("No case has this receipt code. Check the code and try again."))
    digest = receipt_hash(normalised)
    case = Case.objects.filter(receipt_hash=digest).first()
    if case is None or not hmac.compare_digest(case.receipt_hash, digest):
        raise NotFound(_g("No case has this receipt code. Check the code and try again."))
    return case


# ---- what a case may concern


def case_subject_resolve(*, actor, kind: str, subject_kind: str, reference: str):
    """The subject a filer names, among what they may see: their own applications (tenancy:
    `for_user`), the public register of certificates, approved institutions and registered
    assessors. Anything else is a 400 that says so, and nothing is stored."""
    reference = (reference or "").strip()[:64]
    anonymous = actor is None or not actor.is_authenticated
    if subject_kind not in SubjectKind.values:
        raise InvalidInput(_g("Say what the case concerns."), field="subject_kind")
    if not reference:
        raise InvalidInput(
            _g("Give the number (or code) of what the case concerns."), field="reference"
        )
    if kind == CaseKind.RECONSIDERATION and subject_kind == SubjectKind.CERTIFICATE:
        raise InvalidInput(
            _g(
                "A suspension or revocation of a certificate is reconsidered on the "
                "certificate's page, through the evaluation institution (M§20)."
            ),
            field="subject_kind",
        )
    if kind == CaseKind.RECONSIDERATION and subject_kind != SubjectKind.APPLICATION:
        raise InvalidInput(
            _g("A reconsideration (M§25) concerns the result of one of your applications."),
            field="subject_kind",
        )
    if kind == CaseKind.APPEAL and subject_kind not in (
        SubjectKind.APPLICATION,
        SubjectKind.INSTITUTION,
    ):
        raise InvalidInput(
            _g("An appeal (M§26) concerns an evaluation institution or your application to it."),
            field="subject_kind",
        )
    if subject_kind == SubjectKind.APPLICATION:
        found = (
            None
            if anonymous
            else Application.objects.for_user(actor).filter(number=reference).first()
        )
        if found is None:
            raise InvalidInput(
                _g("You have no access to an application numbered “%(ref)s”.") % {"ref": reference},
                field="reference",
            )
        if kind in (CaseKind.RECONSIDERATION, CaseKind.APPEAL) and not (
            actor.is_applicant and found.organization_id == actor.organization_id
        ):
            raise InvalidInput(
                _g("Only the applicant organisation may appeal or ask for reconsideration."),
                field="reference",
            )
        if kind == CaseKind.RECONSIDERATION and found.state not in RESULT_STATES:
            raise Conflict(
                _g(
                    "Application %(ref)s has no evaluation result yet; reconsideration "
                    "(M§25) is possible once the center has decided."
                )
                % {"ref": found.number},
                field="reference",
            )
        return found
    if subject_kind == SubjectKind.CERTIFICATE:
        # The register is public (M§14(5)): anyone may report about a certificate in it.
        found = Certificate.objects.filter(number=reference.upper()).first()
        if found is None:
            raise InvalidInput(
                _g("There is no certificate numbered “%(ref)s” in the register.")
                % {"ref": reference},
                field="reference",
            )
        return found
    if subject_kind == SubjectKind.INSTITUTION:
        found = None
        if reference.isascii() and reference.isdigit() and len(reference) <= 9:
            found = Institution.objects.filter(
                pk=int(reference), state__in=PUBLIC_INSTITUTION_STATES
            ).first()
        if found is None:
            found = Institution.objects.filter(
                state__in=PUBLIC_INSTITUTION_STATES, name=reference
            ).first()
        if found is None:
            raise InvalidInput(
                _g("There is no approved evaluation institution “%(ref)s”.") % {"ref": reference},
                field="reference",
            )
        return found
    found = (
        Assessor.objects.filter(registration_number=reference, state__in=PUBLIC_ASSESSOR_STATES)
        .select_related("institution")
        .first()
    )
    if found is None:
        raise InvalidInput(
            _g("There is no registered assessor numbered “%(ref)s”.") % {"ref": reference},
            field="reference",
        )
    return found


# ---- filing


def _center_staff():
    return get_user_model().objects.filter(role=Role.CENTER_STAFF, is_active=True)


def _link(case: Case) -> str:
    return reverse("supervision:case-detail", args=[case.pk])


def case_file(
    *,
    actor,
    kind: str,
    subject_kind: str,
    reference: str,
    summary: str,
    details: str,
    now: datetime,
    evidence=(),
    filer_name: str = "",
    filer_contact: str = "",
) -> tuple[Case, str]:
    """M§23–26: file a case. A logged-in user files any kind (appeals and reconsiderations
    only as the applicant); anyone may file a report without logging in, and gets a receipt
    code to follow it — returned here once, stored only as its hash.

    Returns (case, receipt code or "")."""
    anonymous = actor is None or not actor.is_authenticated
    if kind not in CaseKind.values:
        raise InvalidInput(_g("Choose the kind of case."), field="kind")
    if anonymous and kind != CaseKind.REPORT:
        raise NotPermitted(_g("Log in to file a complaint, appeal or reconsideration request."))
    if kind in (CaseKind.APPEAL, CaseKind.RECONSIDERATION) and not actor.is_applicant:
        raise InvalidInput(
            _g("Only the applicant organisation may appeal or ask for reconsideration."),
            field="kind",
        )
    summary = text_value(summary, field="summary", label=_g("Summary"), max_length=200)
    details = text_value(details, field="details", label=_g("Details"))
    filer_name = text_value(
        filer_name, field="filer_name", label=_g("Name"), required=False, max_length=100
    )
    filer_contact = text_value(
        filer_contact, field="filer_contact", label=_g("Contact"), required=False, max_length=200
    )
    evidence = [f for f in (evidence or []) if f is not None]
    if len(evidence) > MAX_EVIDENCE_FILES:
        raise InvalidInput(
            _g("Attach at most %(n)d files.") % {"n": MAX_EVIDENCE_FILES}, field="evidence"
        )
    checked = [upload_validate(f, max_bytes=settings.EVIDENCE_MAX_BYTES) for f in evidence]
    subject = case_subject_resolve(
        actor=actor, kind=kind, subject_kind=subject_kind, reference=reference
    )
    code = receipt_code_new() if anonymous else ""
    with uploads_stored() as store, transaction.atomic():
        case = Case(
            number=f"tmp-{secrets.token_hex(8)}",
            kind=kind,
            filer=None if anonymous else actor,
            filer_name=filer_name,
            filer_contact=filer_contact,
            receipt_hash=receipt_hash(code) if code else "",
            subject_kind=subject_kind,
            summary=summary,
            details=details,
            received_at=now,
            deadline=timezone.localdate(now) + timedelta(days=setting("CASE_DEADLINE_DAYS")),
        )
        setattr(case, subject_kind, subject)
        case.save()
        case.number = f"AJ{now.year}{case.pk:06d}"
        case.save(update_fields=["number"])
        for upload, info in zip(evidence, checked, strict=True):
            upload_row(
                store,
                CaseEvidence,
                upload,
                info,
                case=case,
                uploaded_by=None if anonymous else actor,
                uploaded_at=now,
            )
        audit_record(
            actor=None if anonymous else actor,
            action="case.file",
            obj=case,
            now=now,
            visible_to_applicant=False,
            data={
                "number": case.number,
                "kind": kind,
                "subject": f"{subject_kind}:{subject.pk}",
                "anonymous": anonymous,
                "evidence": [i.sha256 for i in checked],
            },
        )
        notification_create(
            recipients=_center_staff(),
            key="case.received",
            params={"case": case.number},
            link=_link(case),
            now=now,
        )
        if not anonymous:
            notification_create(
                recipients=[actor],
                key="case.filed",
                params={"case": case.number, "deadline": case.deadline.isoformat()},
                link=_link(case),
                now=now,
            )
    return case, code


def _locked(case_id: int, actor) -> Case:
    case = Case.objects.for_user(actor).select_for_update().filter(pk=case_id).first()
    if case is None:
        raise NotFound()
    return case


def case_evidence_add(*, case_id: int, actor, upload, now: datetime) -> CaseEvidence:
    """The filer or the center adds a document to an open case."""
    info = upload_validate(upload, max_bytes=settings.EVIDENCE_MAX_BYTES)
    with uploads_stored() as store, transaction.atomic():
        case = _locked(case_id, actor)
        if not case.is_open:
            raise Conflict(_g("This case is closed; nothing can be added to it."))
        if case.evidence.count() >= MAX_EVIDENCE_FILES * 2:
            raise Conflict(_g("This case has as many files as it can hold."))
        row = upload_row(
            store, CaseEvidence, upload, info, case=case, uploaded_by=actor, uploaded_at=now
        )
        audit_record(
            actor=actor,
            action="case.evidence",
            obj=case,
            now=now,
            visible_to_applicant=False,
            data=info.audited,
        )
    return row


def case_note_add(*, case_id: int, actor, text: str, internal: bool, now: datetime) -> CaseNote:
    """A message on an open case. The filer writes to the center; the center writes to the
    filer, or an internal note the filer never sees."""
    text = text_value(text, field="text", label=_g("Message"))
    with transaction.atomic():
        case = _locked(case_id, actor)
        internal = bool(internal) and actor.is_center_staff
        if not case.is_open:
            raise Conflict(_g("This case is closed; it can no longer be replied to."))
        note = CaseNote.objects.create(
            case=case, author=actor, internal=internal, text=text, created_at=now
        )
        audit_record(
            actor=actor,
            action="case.note",
            obj=case,
            now=now,
            visible_to_applicant=False,
            data={"note": note.pk, "internal": internal},
        )
        if not internal:
            if actor.is_center_staff:
                recipients = [case.filer] if case.filer_id else []
            else:
                recipients = [case.owner] if case.owner_id else list(_center_staff())
            notification_create(
                recipients=recipients,
                key="case.message",
                params={"case": case.number},
                link=_link(case),
                now=now,
            )
    return note


def case_start(*, case_id: int, actor, now: datetime, owner_id: int | None = None) -> Case:
    """M§23: the center takes the case on; its owner (the actor unless another member of
    the center is named) answers by the deadline."""
    with transaction.atomic():
        case = _locked(case_id, actor)
        if not actor.is_center_staff:
            raise NotPermitted(_g("Only the evaluation center handles cases."))
        owner = actor
        if owner_id not in (None, "", actor.pk):
            owner = _center_staff().filter(pk=owner_id).first()
            if owner is None:
                raise InvalidInput(_g("Choose a member of the evaluation center."), field="owner")
        if not can_proceed(case.start):
            raise Conflict(
                _g("The case is already “%(state)s”.") % {"state": case.get_state_display()}
            )
        case.start()
        case.owner, case.started_at = owner, now
        _save(case)
        audit_record(
            actor=actor,
            action="case.start",
            obj=case,
            now=now,
            visible_to_applicant=False,
            data={"owner": owner.get_username()},
        )
        if case.filer_id:
            notification_create(
                recipients=[case.filer],
                key="case.started",
                params={"case": case.number},
                link=_link(case),
                now=now,
            )
        if owner != actor:
            notification_create(
                recipients=[owner],
                key="case.assigned",
                params={"case": case.number, "deadline": case.deadline.isoformat()},
                link=_link(case),
                now=now,
            )
    return case


def _save(case: Case) -> None:
    try:
        case.save()
    except ConcurrentTransition:
        raise Conflict(
            _g("Someone else changed this case at the same time; reload and try again.")
        ) from None


# ---- actions an upheld case leads to, carried out by the services that own them


@dataclass(frozen=True)
class CaseAction:
    name: str
    label: str
    # Which subject kinds it applies to (a certificate action also fits an application that
    # has a certificate).
    subjects: tuple[str, ...]
    # run(case, actor, reason, now) -> dict for the audit record; None: not wired yet.
    run: Callable | None


def _target_certificate(case: Case) -> Certificate:
    certificate = case.certificate
    if certificate is None and case.application_id:
        certificate = Certificate.objects.filter(application_id=case.application_id).first()
    if certificate is None:
        raise Conflict(_g("This case concerns no certificate."))
    return certificate


def _reopen_evaluation(case, actor, reason, now) -> dict:
    """An upheld reconsideration (M§25), objection or complaint sends the evaluation back:
    from publicity to a new expert review, from expert review to the on-site review; an
    upheld reconsideration also reopens a result that did not pass (`reconsider`: a new
    expert review round)."""
    from applications.services import application_transition

    application = case.application
    if application is None and case.certificate_id:
        application = case.certificate.application
    if application is None:
        raise Conflict(_g("This case concerns no evaluation."))
    application.refresh_from_db(fields=["state"])
    step = {
        ApplicationState.PUBLICITY: "reopen_review",
        ApplicationState.EXPERT_REVIEW: "send_back",
        ApplicationState.REJECTED: "reconsider",
    }.get(application.state)
    if step == "reconsider" and case.kind != CaseKind.RECONSIDERATION:
        raise Conflict(
            _g(
                "Only a reconsideration (M§25) reopens the result of %(number)s, which did not "
                "pass."
            )
            % {"number": application.number}
        )
    if step is None:
        raise Conflict(
            _g(
                "The evaluation of %(number)s cannot be reopened while it is “%(state)s”: "
                "only during the expert review or the publicity, or after it did not pass "
                "through a reconsideration."
            )
            % {"number": application.number, "state": application.get_state_display()}
        )
    data = {"reason": reason}
    if step == "reconsider":
        # The upheld case itself: the only key to `reconsider` (see applications.workflow).
        data["case"] = case
    application_transition(
        application_id=application.pk, name=step, actor=actor, data=data, now=now
    )
    return {"application": application.number, "transition": step}


def _certificate_decision(kind):
    def run(case, actor, reason, now) -> dict:
        from certificates import services as certificates

        certificate = _target_certificate(case)
        method = {
            "suspend": certificates.certificate_suspend,
            "revoke": certificates.certificate_revoke,
        }
        method[kind](number=certificate.number, actor=actor, reason=reason, now=now)
        return {"certificate": certificate.number, "decision": kind}

    return run


def _supervise(target):
    """R§16: an upheld case about an institution or an assessor suspends it, on the grounds
    of R§16(5) (violation of the rules of evaluation work), the case being the evidence; the
    other grounds are chosen on the institution's or assessor's own page."""

    def run(case, actor, reason, now) -> dict:
        from institutions import services as institutions
        from institutions.enums import SupervisionGround

        common = {
            "actor": actor,
            "grounds": SupervisionGround.RULES,
            "explanation": reason,
            "evidence": _g("Case %(case)s") % {"case": case.number},
            "now": now,
        }
        if target == "institution":
            institutions.institution_suspend(institution_id=case.institution_id, **common)
            return {"institution": case.institution_id, "decision": "suspend"}
        institutions.assessor_suspend(assessor_id=case.assessor_id, **common)
        return {"assessor": case.assessor_id, "decision": "suspend"}

    return run


ACTIONS: dict[str, CaseAction] = {
    a.name: a
    for a in [
        CaseAction(
            "reopen_evaluation",
            _("Reopen the evaluation"),
            (SubjectKind.APPLICATION, SubjectKind.CERTIFICATE),
            _reopen_evaluation,
        ),
        CaseAction(
            "suspend_certificate",
            _("Suspend the certificate (M§19)"),
            (SubjectKind.CERTIFICATE, SubjectKind.APPLICATION),
            _certificate_decision("suspend"),
        ),
        CaseAction(
            "revoke_certificate",
            _("Revoke the certificate (M§19)"),
            (SubjectKind.CERTIFICATE, SubjectKind.APPLICATION),
            _certificate_decision("revoke"),
        ),
        CaseAction(
            "suspend_institution",
            _("Suspend the institution (R§16)"),
            (SubjectKind.INSTITUTION,),
            _supervise("institution"),
        ),
        CaseAction(
            "suspend_assessor",
            _("Suspend the assessor (R§16)"),
            (SubjectKind.ASSESSOR,),
            _supervise("assessor"),
        ),
    ]
}


def case_actions_available(case: Case) -> list[CaseAction]:
    return [a for a in ACTIONS.values() if a.run is not None and case.subject_kind in a.subjects]


def case_decide(
    *,
    case_id: int,
    actor,
    upheld: bool,
    reply: str,
    now: datetime,
    actions: list[str] | tuple = (),
) -> Case:
    """M§23: the center upholds or dismisses a case with a written reply to the filer. An
    upheld case may lead to actions, carried out by the services that own them in the same
    transaction: if one is not possible, nothing is decided."""
    reply = text_value(reply, field="reply", label=_g("Reply"), max_length=10000)
    if upheld not in (True, False):
        raise InvalidInput(_g("Say whether the case is upheld."), field="upheld")
    actions = list(dict.fromkeys(actions or []))
    if actions and not upheld:
        raise InvalidInput(_g("Only an upheld case leads to actions."), field="actions")
    with transaction.atomic():
        case = _locked(case_id, actor)
        if not actor.is_center_staff:
            raise NotPermitted(_g("Only the evaluation center handles cases."))
        if not case.is_open:
            raise Conflict(_g("This case has already been decided."))
        if case.state == CaseState.RECEIVED:
            raise Conflict(_g("Take the case on before deciding it."))
        available = {a.name: a for a in case_actions_available(case)}
        unknown = [name for name in actions if name not in available]
        if unknown:
            raise InvalidInput(
                _g("Not an action for this case: %(names)s.")
                % {"names": ", ".join(str(n)[:40] for n in unknown)},
                field="actions",
            )
        (case.uphold if upheld else case.dismiss)()
        case.reply, case.decided_at, case.decided_by = reply, now, actor
        results = [available[name].run(case, actor, reply, now) for name in actions]
        case.actions = [{"action": name, **r} for name, r in zip(actions, results, strict=True)]
        _save(case)
        audit_record(
            actor=actor,
            action=f"case.{'uphold' if upheld else 'dismiss'}",
            obj=case,
            now=now,
            visible_to_applicant=False,
            data={"actions": case.actions},
        )
        recipients = [u for u in (case.filer, case.owner) if u is not None and u != actor]
        notification_create(
            recipients=recipients,
            key=f"case.{case.state}",
            params={"case": case.number},
            link=_link(case),
            now=now,
        )
    return case


# ---- scheduled


def cases_remind_overdue(*, now: datetime) -> int:
    """M§23: an open case past its deadline reminds its owner (or, before anyone took it on,
    the whole center) once. Set-based: the same queries for one case or a thousand."""
    from ietsportal.notifications.services import notifications_create_many

    today = timezone.localdate(now)
    with transaction.atomic():
        due = list(
            Case.objects.open()
            .filter(deadline__lt=today, overdue_notified_at__isnull=True)
            .select_for_update(of=("self",))
            .select_related("owner")
            .only("pk", "number", "state", "deadline", "owner")
        )
        if not due:
            return 0
        center = list(_center_staff()) if any(c.owner_id is None for c in due) else []
        notifications_create_many(
            items=[
                (
                    [c.owner] if c.owner_id else center,
                    "case.overdue",
                    {"case": c.number, "deadline": c.deadline.isoformat()},
                    _link(c),
                )
                for c in due
            ],
            now=now,
        )
        Case.objects.filter(pk__in=[c.pk for c in due]).update(overdue_notified_at=now)
    return len(due)
