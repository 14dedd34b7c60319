"""Every write to institutions, assessors and experts goes through here (STYLE: services).

Each service runs in one transaction: permission → conditions (a domain error with a message in
the user's language) → row lock and state machine → save → audit record → notifications after
commit. Time is the `now` argument.
"""

import random
from datetime import date, datetime

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _g

from ietsportal.accounts.enums import Role
from ietsportal.accounts.models import Organization
from ietsportal.accounts.regions import PROVINCES
from ietsportal.audit.services import audit_record, audit_records_bulk
from ietsportal.errors import Conflict, InvalidInput, NotFound, NotPermitted, text_value
from ietsportal.notifications.services import notification_create, notifications_create_many

from . import personal_data
from .enums import (
    AssessorState,
    ContractType,
    DesignationDocumentKind,
    InstitutionLevel,
    InstitutionState,
    SupervisionGround,
    SupervisionKind,
)
from .models import (
    Assessor,
    ConflictDeclaration,
    Designation,
    DesignationDocument,
    DesignationOpinion,
    Expert,
    Institution,
    SupervisionAction,
    SupervisionEvidence,
)
from .selectors import (
    panel_candidates,
    staffing_of,
    with_participation,
    with_staffing,
    year_bounds,
)

User = get_user_model()

# ---- helpers


def _center_staff():
    return list(User.objects.filter(role=Role.CENTER_STAFF, is_active=True))


def _admins(institution_id: int):
    return list(
        User.objects.filter(
            role=Role.INSTITUTION_ADMIN, institution_id=institution_id, is_active=True
        )
    )


def _require_center(actor) -> None:
    if not getattr(actor, "is_center_staff", False):
        raise NotPermitted(_g("Only the evaluation center may do this."))


def _notify(recipients, key, params, link, now):
    notification_create(recipients=recipients, key=key, params=params, link=link, now=now)


def _fire(obj, method: str, message: str) -> None:
    from django_fsm import can_proceed

    transition = getattr(obj, method)
    if not can_proceed(transition):
        raise Conflict(message)
    transition()


def _institution_for_update(institution_id) -> Institution:
    institution = Institution.objects.select_for_update().filter(pk=institution_id).first()
    if institution is None:
        raise NotFound()
    return institution


def _designation_for_update(designation_id, actor) -> tuple[Designation, Institution]:
    designation = (
        Designation.objects.for_user(actor).select_related("organization").filter(pk=designation_id)
    ).first()
    if designation is None:
        raise NotFound()
    institution = _institution_for_update(designation.institution_id)
    designation.institution = institution
    return designation, institution


def _date(value, field, label) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value or "").strip())
    except ValueError:
        raise InvalidInput(
            _g("%(field)s must be a date (YYYY-MM-DD).") % {"field": label}, field=field
        ) from None


# ---- designation of institutions (R§7, R§13)


def designation_apply(
    *,
    actor,
    name: str,
    level: str,
    region: str = "",
    established_on,
    personnel: str,
    technical_means: str,
    infrastructure: str,
    declares_good_credit: bool,
    declares_independence: bool,
    now: datetime,
) -> Designation:
    """R§7, R§13(1): an organisation applies to become a national or local institution."""
    if not (actor.is_active and actor.organization_id and actor.role == Role.APPLICANT):
        raise NotPermitted(_g("Only a registered organisation's user may apply."))
    org = actor.organization
    name = text_value(name or org.name, field="name", label=_g("Name"), max_length=200)
    if level not in InstitutionLevel.values:
        raise InvalidInput(_g("Choose national or local."), field="level")
    if level == InstitutionLevel.LOCAL:
        if region not in PROVINCES:
            raise InvalidInput(
                _g("A local institution names the region it serves (M§10)."), field="region"
            )
    else:
        region = ""
    established = _date(established_on, "established_on", _g("Established on"))
    today = timezone.localdate(now)
    if established > today - relativedelta(years=1):
        raise InvalidInput(
            _g(
                "An evaluation institution must have been established for more than one year "
                "(R§7(1)); %(date)s is too recent."
            )
            % {"date": established.isoformat()},
            field="established_on",
        )
    texts = {
        "personnel": text_value(personnel, field="personnel", label=_g("Personnel")),
        "technical_means": text_value(
            technical_means, field="technical_means", label=_g("Technical means")
        ),
        "infrastructure": text_value(
            infrastructure, field="infrastructure", label=_g("Infrastructure")
        ),
    }
    if declares_good_credit is not True:
        raise InvalidInput(
            _g("An evaluation institution must have a good credit record (R§7(1)): declare it."),
            field="declares_good_credit",
        )
    if declares_independence is not True:
        raise InvalidInput(
            _g(
                "An evaluation institution may run no business that could compromise the "
                "independence of evaluation (R§7(3)): declare it."
            ),
            field="declares_independence",
        )
    taken = _g("This organisation already has a designation under way or is an institution.")
    with transaction.atomic():
        Organization.objects.select_for_update().filter(pk=org.pk).first()
        if (
            Institution.objects.filter(uscc=org.uscc)
            .exclude(state=InstitutionState.REFUSED)
            .exists()
        ):
            raise Conflict(taken)
        try:
            with transaction.atomic():
                institution = Institution.objects.create(
                    name=name,
                    uscc=org.uscc,
                    level=level,
                    region=region,
                    established_on=established,
                    organization=org,
                    state=InstitutionState.APPLIED,
                    state_changed_at=now,
                )
        except IntegrityError:
            raise Conflict(taken) from None
        designation = Designation.objects.create(
            institution=institution,
            organization=org,
            applicant=actor,
            declares_good_credit=True,
            declares_independence=True,
            submitted_at=now,
            **texts,
        )
        audit_record(
            actor=actor,
            action="institution.designation_apply",
            obj=institution,
            now=now,
            data={"name": name, "level": level, "region": region, "uscc": org.uscc},
        )
        _notify(
            _center_staff(),
            "institution.designation_filed",
            {"organization": org.name, "name": name},
            reverse("institutions:designation-detail", args=[designation.pk]),
            now,
        )
    return designation


DESIGNATION_DOCUMENTS_MAX = 30  # supporting documents a designation holds (R§13(1))


def designation_document_add(
    *, designation_id: int, actor, kind: str, upload, now: datetime
) -> DesignationDocument:
    """R§13(1): the applicant organisation files a supporting document — its licence, its
    staff list, … — while the center and the panel review the designation. The file is checked
    as evidence is (ietsportal/uploads.py) and stored with the row, or not at all."""
    from ietsportal.uploads import upload_row, upload_validate, uploads_stored

    if kind not in DesignationDocumentKind.values:
        raise InvalidInput(_g("Choose what the document shows."), field="kind")
    checked = upload_validate(upload, max_bytes=settings.EVIDENCE_MAX_BYTES)
    with uploads_stored() as store, transaction.atomic():
        # the institution's row locked: documents are counted and states checked under it
        designation, institution = _designation_for_update(designation_id, actor)
        if not (actor.is_applicant and actor.organization_id == designation.organization_id):
            raise NotPermitted(_g("Only the applicant organisation files its documents."))
        if institution.state not in (
            InstitutionState.APPLIED,
            InstitutionState.UNDER_REVIEW,
        ):
            raise Conflict(_g("The designation is decided; no document can be added."))
        if designation.documents.count() >= DESIGNATION_DOCUMENTS_MAX:
            raise Conflict(
                _g("A designation holds at most %(n)d documents.")
                % {"n": DESIGNATION_DOCUMENTS_MAX}
            )
        document = upload_row(
            store,
            DesignationDocument,
            upload,
            checked,
            designation=designation,
            kind=kind,
            uploaded_by=actor,
            uploaded_at=now,
        )
        audit_record(
            actor=actor,
            action="institution.designation_document",
            obj=institution,
            now=now,
            data={"document": document.pk, "kind": kind, **checked.audited},
        )
    return document


def designation_start_expert_review(
    *, designation_id, actor, notes: str = "", panel_size: int | None = None, now: datetime
) -> list[DesignationOpinion]:
    """R§13(2): the center has reviewed the material and draws the expert panel from the pool
    (M§8): available experts, not employed by the applicant and without a declared conflict."""
    _require_center(actor)
    notes = text_value(notes, field="notes", label=_g("Review notes"), required=False)
    size = panel_size or settings.DESIGNATION_PANEL_SIZE
    if not isinstance(size, int) or not 1 <= size <= 15:
        raise InvalidInput(_g("A panel has 1 to 15 experts."), field="panel_size")
    with transaction.atomic():
        designation, institution = _designation_for_update(designation_id, actor)
        _fire(
            institution,
            "start_expert_review",
            _g("Only a designation waiting for the center's review can go to experts."),
        )
        candidates = list(panel_candidates(designation.organization))
        if len(candidates) < size:
            raise Conflict(
                _g(
                    "Only %(n)s experts may review this designation (available, not employed by "
                    "the applicant, no declared conflict); %(size)s are needed."
                )
                % {"n": len(candidates), "size": size}
            )
        panel = random.SystemRandom().sample(candidates, size)
        opinions = DesignationOpinion.objects.bulk_create(
            [
                DesignationOpinion(designation=designation, expert=e.user, assigned_at=now)
                for e in panel
            ]
        )
        institution.state_changed_at = now
        institution.save(update_fields=["state", "state_changed_at"])
        designation.review_notes = notes
        designation.save(update_fields=["review_notes"])
        audit_record(
            actor=actor,
            action="institution.designation_expert_review",
            obj=institution,
            now=now,
            data={"experts": sorted(e.user.username for e in panel), "notes": notes},
        )
        _notify(
            [e.user for e in panel],
            "institution.designation_expert",
            {"name": institution.name},
            reverse("institutions:designation-detail", args=[designation.pk]),
            now,
        )
    return opinions


def designation_opinion_submit(
    *, designation_id, actor, approves, opinion: str, now: datetime
) -> DesignationOpinion:
    """R§13(2): one expert of the panel gives an opinion."""
    opinion = text_value(opinion, field="opinion", label=_g("Opinion"))
    if not isinstance(approves, bool):
        raise InvalidInput(_g("Say whether you recommend approval."), field="approves")
    with transaction.atomic():
        designation, institution = _designation_for_update(designation_id, actor)
        row = (
            DesignationOpinion.objects.select_for_update()
            .filter(designation=designation, expert=actor)
            .first()
        )
        if row is None:
            raise NotPermitted(_g("You are not on this designation's expert panel."))
        if institution.state != InstitutionState.UNDER_REVIEW or row.submitted_at:
            raise Conflict(_g("This opinion can no longer be given or changed."))
        row.opinion, row.approves, row.submitted_at = opinion, approves, now
        row.save(update_fields=["opinion", "approves", "submitted_at"])
        audit_record(
            actor=actor,
            action="institution.designation_opinion",
            obj=institution,
            now=now,
            data={"approves": approves},
        )
        if not designation.opinions.filter(submitted_at__isnull=True).exists():
            _notify(
                _center_staff(),
                "institution.designation_opinions_in",
                {"name": institution.name},
                reverse("institutions:designation-detail", args=[designation.pk]),
                now,
            )
    return row


def designation_decide(
    *, designation_id, actor, approve: bool, reason: str, now: datetime
) -> Institution:
    """R§13(2)–(3): the center approves (after every expert's opinion) or refuses, with
    reasons. Approved: the institution is published, and the user who filed the designation
    becomes its administrator (their role changes from applicant to institution admin)."""
    _require_center(actor)
    reason = text_value(reason, field="reason", label=_g("Reasons"))
    if not isinstance(approve, bool):
        raise InvalidInput(_g("Approve or refuse."), field="approve")
    with transaction.atomic():
        designation, institution = _designation_for_update(designation_id, actor)
        if approve:
            if institution.state != InstitutionState.UNDER_REVIEW:
                raise Conflict(_g("Only a designation under expert review can be approved."))
            if designation.opinions.filter(submitted_at__isnull=True).exists():
                raise Conflict(_g("Wait until every expert of the panel has given an opinion."))
            _fire(institution, "approve", _g("This designation cannot be approved now."))
            institution.approved_at = now
        else:
            _fire(institution, "refuse", _g("This designation has already been decided."))
        institution.state_changed_at = now
        institution.save(update_fields=["state", "approved_at", "state_changed_at"])
        designation.decision_reason, designation.decided_at = reason, now
        designation.decided_by = actor
        designation.save(update_fields=["decision_reason", "decided_at", "decided_by"])
        applicant = User.objects.select_for_update().get(pk=designation.applicant_id)
        promoted = False
        if approve and applicant.is_active and applicant.role == Role.APPLICANT:
            applicant.role, applicant.institution = Role.INSTITUTION_ADMIN, institution
            applicant.save(update_fields=["role", "institution"])
            promoted = True
        audit_record(
            actor=actor,
            action="institution.designation_approve"
            if approve
            else "institution.designation_refuse",
            obj=institution,
            now=now,
            data={"reason": reason, **({"admin": applicant.username} if promoted else {})},
        )
        key = "institution.designation_approved" if approve else "institution.designation_refused"
        _notify(
            [applicant],
            key,
            {"name": institution.name, "reason": reason},
            reverse("institutions:designation-detail", args=[designation.pk]),
            now,
        )
        if approve:
            institutions_staffing_check(now=now, institution_ids=[institution.pk])
    institution.refresh_from_db()
    return institution


# ---- assessors (R§10–11, R§14)


def assessor_nominate(
    *,
    actor,
    full_name: str,
    id_number: str,
    username: str,
    email: str,
    contract_type: str,
    full_time: bool,
    qualifications: str = "",
    now: datetime,
) -> Assessor:
    """R§10, R§14(1): the institution nominates a person with a labour or service contract; the
    ID number is stored encrypted and as an HMAC, so one person cannot be on two rosters."""
    if not actor.is_institution_admin:
        raise NotPermitted(_g("Only an institution's administrator may nominate assessors."))
    full_name = text_value(full_name, field="full_name", label=_g("Full name"), max_length=100)
    normalised = personal_data.normalise_id_number(id_number if isinstance(id_number, str) else "")
    username = text_value(username, field="username", label=_g("User name"), max_length=150)
    try:
        UnicodeUsernameValidator()(username)
    except ValidationError:
        raise InvalidInput(
            _g("A user name has letters, digits and @ . + - _ only."), field="username"
        ) from None
    email = text_value(email, field="email", label=_g("E-mail"), max_length=254)
    try:
        validate_email(email)
    except ValidationError:
        raise InvalidInput(_g("Enter a valid e-mail address."), field="email") from None
    if contract_type not in ContractType.values:
        raise InvalidInput(
            _g("An assessor has a labour or a service contract with the institution (R§10)."),
            field="contract_type",
        )
    if not isinstance(full_time, bool):
        raise InvalidInput(_g("Say whether the assessor works full-time."), field="full_time")
    qualifications = text_value(
        qualifications, field="qualifications", label=_g("Qualifications"), required=False
    )
    digest = personal_data.id_hash(normalised)
    elsewhere = _g(
        "This person is already an assessor of another institution. An assessor may work for "
        "only one institution at a time (R§10); they can be nominated once that institution "
        "has released them."
    )
    with transaction.atomic():
        institution = _institution_for_update(actor.institution_id)
        if institution.state not in (InstitutionState.APPROVED, InstitutionState.SUSPENDED):
            raise Conflict(_g("Only an approved institution keeps a roster."))
        existing = (
            Assessor.objects.filter(id_number_hash=digest)
            .exclude(state=AssessorState.REMOVED)
            .first()
        )
        if existing is not None:
            if existing.institution_id == institution.pk:
                raise Conflict(_g("This person is already on your roster."), field="id_number")
            raise Conflict(elsewhere, field="id_number")
        if User.objects.filter(username__iexact=username).exists():
            raise Conflict(_g("This user name is taken; choose another."), field="username")
        try:
            with transaction.atomic():
                user = User(
                    username=username,
                    email=email,
                    role=Role.ASSESSOR,
                    institution=institution,
                    display_name=full_name,
                )
                user.set_unusable_password()
                user.save()
                assessor = Assessor.objects.create(
                    user=user,
                    institution=institution,
                    full_name=full_name,
                    id_number_encrypted=personal_data.encrypt(normalised),
                    id_number_hash=digest,
                    id_number_masked=personal_data.mask(normalised),
                    contract_type=contract_type,
                    full_time=full_time,
                    qualifications=qualifications,
                    state=AssessorState.NOMINATED,
                    nominated_at=now,
                    state_changed_at=now,
                )
        except IntegrityError:
            # A concurrent nomination of the same person won the race (R§10).
            raise Conflict(elsewhere, field="id_number") from None
        audit_record(
            actor=actor,
            action="assessor.nominate",
            obj=assessor,
            now=now,
            data={
                "institution": institution.name,
                "name": full_name,
                "id_number": assessor.id_number_masked,
                "contract_type": contract_type,
                "full_time": full_time,
            },
        )
        _notify(
            _center_staff(),
            "assessor.nominated",
            {"institution": institution.name, "name": full_name},
            reverse("institutions:assessor-detail", args=[assessor.pk]),
            now,
        )
    return assessor


def _assessor_for_update(assessor_id, actor) -> Assessor:
    assessor = (
        Assessor.objects.for_user(actor)
        .select_for_update(of=("self",))
        .select_related("institution", "user")
        .filter(pk=assessor_id)
        .first()
    )
    if assessor is None:
        raise NotFound()
    return assessor


def _assessor_params(assessor) -> dict:
    return {
        "name": assessor.display_name,
        "institution": assessor.institution.name,
        "number": assessor.registration_number or "",
    }


def assessor_register(*, assessor_id, actor, note: str = "", now: datetime) -> Assessor:
    """R§11, R§14(2)–(3): the center verifies the nomination and registers (备案) the assessor,
    who gets a registration number and is published."""
    _require_center(actor)
    note = text_value(note, field="note", label=_g("Note"), required=False)
    with transaction.atomic():
        assessor = _assessor_for_update(assessor_id, actor)
        _fire(assessor, "register", _g("Only a nominated assessor can be registered."))
        assessor.registration_number = f"PJ{now.year}{assessor.pk:06d}"
        assessor.registered_at = assessor.state_changed_at = now
        assessor.save(
            update_fields=["state", "registration_number", "registered_at", "state_changed_at"]
        )
        audit_record(
            actor=actor,
            action="assessor.register",
            obj=assessor,
            now=now,
            data={"registration_number": assessor.registration_number, "note": note},
        )
        _notify(
            [*_admins(assessor.institution_id), assessor.user],
            "assessor.registered",
            _assessor_params(assessor),
            reverse("institutions:assessor-detail", args=[assessor.pk]),
            now,
        )
        institutions_staffing_check(now=now, institution_ids=[assessor.institution_id])
    return assessor


def _grounds(grounds) -> str:
    if grounds not in SupervisionGround.values:
        raise InvalidInput(_g("Choose one of the grounds listed in R§16."), field="grounds")
    return grounds


def _supervision_texts(explanation, evidence) -> tuple[str, str]:
    return (
        text_value(explanation, field="explanation", label=_g("Explanation")),
        text_value(evidence, field="evidence", label=_g("Evidence"), required=False),
    )


def _supervision_file(evidence_file):
    """The checked evidence file of an action (R§16), or None: checked before anything is
    written, as evidence is (ietsportal/uploads.py)."""
    from ietsportal.uploads import upload_validate

    if evidence_file is None:
        return None
    return upload_validate(
        evidence_file, max_bytes=settings.EVIDENCE_MAX_BYTES, field="evidence_file"
    )


def _record_supervision(
    *,
    actor,
    institution,
    assessor=None,
    kind,
    grounds,
    explanation,
    evidence,
    now,
    store=None,
    evidence_file=None,
    checked=None,
):
    """The action's row, its evidence file (stored by `store`, `uploads_stored`'s) and its
    audit entry."""
    from ietsportal.uploads import upload_row

    action = SupervisionAction.objects.create(
        institution=institution,
        assessor=assessor,
        kind=kind,
        grounds=grounds,
        explanation=explanation,
        evidence=evidence,
        actor=actor,
        created_at=now,
    )
    data = {"grounds": grounds, "explanation": explanation, "evidence": evidence}
    if checked is not None:
        upload_row(
            store,
            SupervisionEvidence,
            evidence_file,
            checked,
            action=action,
            uploaded_by=actor,
            uploaded_at=now,
        )
        data["evidence_file"] = checked.audited
    audit_record(
        actor=actor,
        action=f"{'assessor' if assessor else 'institution'}.{kind}",
        obj=assessor or institution,
        now=now,
        data=data,
    )
    return action


INSTITUTION_KEYS = {
    SupervisionKind.SUSPEND: "institution.suspended",
    SupervisionKind.REINSTATE: "institution.reinstated",
    SupervisionKind.STOP: "institution.stopped",
}


def _institution_supervise(
    *,
    institution_id,
    actor,
    method,
    kind,
    grounds,
    explanation,
    evidence,
    evidence_file,
    message,
    now,
):
    from ietsportal.uploads import uploads_stored

    _require_center(actor)
    explanation, evidence = _supervision_texts(explanation, evidence)
    checked = _supervision_file(evidence_file)
    with uploads_stored() as store, transaction.atomic():
        institution = _institution_for_update(institution_id)
        _fire(institution, method, message)
        institution.state_changed_at = now
        institution.save(update_fields=["state", "state_changed_at"])
        action = _record_supervision(
            actor=actor,
            institution=institution,
            kind=kind,
            grounds=grounds,
            explanation=explanation,
            evidence=evidence,
            now=now,
            store=store,
            evidence_file=evidence_file,
            checked=checked,
        )
        _notify(
            _admins(institution.pk),
            INSTITUTION_KEYS[kind],
            {"name": institution.name, "reason": explanation},
            reverse("institutions:institution-manage", args=[institution.pk]),
            now,
        )
    return action


def institution_suspend(
    *,
    institution_id,
    actor,
    grounds: str,
    explanation: str,
    evidence: str = "",
    evidence_file=None,
    now: datetime,
) -> SupervisionAction:
    """R§16: the center suspends an institution; it accepts nothing new, work in progress
    continues."""
    _require_center(actor)
    return _institution_supervise(
        institution_id=institution_id,
        actor=actor,
        method="suspend",
        kind=SupervisionKind.SUSPEND,
        grounds=_grounds(grounds),
        explanation=explanation,
        evidence=evidence,
        evidence_file=evidence_file,
        message=_g("Only an approved institution can be suspended."),
        now=now,
    )


def institution_reinstate(
    *,
    institution_id,
    actor,
    explanation: str,
    evidence: str = "",
    evidence_file=None,
    now: datetime,
) -> SupervisionAction:
    """R§16: the suspension is lifted."""
    _require_center(actor)
    return _institution_supervise(
        institution_id=institution_id,
        actor=actor,
        method="reinstate",
        kind=SupervisionKind.REINSTATE,
        grounds="",
        explanation=explanation,
        evidence=evidence,
        evidence_file=evidence_file,
        message=_g("Only a suspended institution can be reinstated."),
        now=now,
    )


def institution_stop(
    *,
    institution_id,
    actor,
    grounds: str,
    explanation: str,
    evidence: str = "",
    evidence_file=None,
    now: datetime,
) -> SupervisionAction:
    """R§16: the center stops an institution for good; it leaves the directory."""
    _require_center(actor)
    return _institution_supervise(
        institution_id=institution_id,
        actor=actor,
        method="stop",
        kind=SupervisionKind.STOP,
        grounds=_grounds(grounds),
        explanation=explanation,
        evidence=evidence,
        evidence_file=evidence_file,
        message=_g("This institution is not in operation."),
        now=now,
    )


def _assessor_supervise(
    *,
    assessor_id,
    actor,
    method,
    kind,
    grounds,
    explanation,
    evidence,
    evidence_file,
    message,
    key,
    now,
):
    from ietsportal.uploads import uploads_stored

    explanation, evidence = _supervision_texts(explanation, evidence)
    checked = _supervision_file(evidence_file)
    with uploads_stored() as store, transaction.atomic():
        assessor = _assessor_for_update(assessor_id, actor)
        _fire(assessor, method, message)
        assessor.state_changed_at = now
        assessor.save(update_fields=["state", "state_changed_at"])
        if kind == SupervisionKind.REMOVE and assessor.user.is_active:
            # The engagement has ended: the account closes with it (R§10).
            assessor.user.is_active = False
            assessor.user.save(update_fields=["is_active"])
        action = _record_supervision(
            actor=actor,
            institution=assessor.institution,
            assessor=assessor,
            kind=kind,
            grounds=grounds,
            explanation=explanation,
            evidence=evidence,
            now=now,
            store=store,
            evidence_file=evidence_file,
            checked=checked,
        )
        recipients = [*_admins(assessor.institution_id), assessor.user]
        if not actor.is_center_staff:
            recipients += _center_staff()
        _notify(
            recipients,
            key,
            {**_assessor_params(assessor), "reason": explanation},
            reverse("institutions:assessor-detail", args=[assessor.pk]),
            now,
        )
        institutions_staffing_check(now=now, institution_ids=[assessor.institution_id])
    return action


def assessor_suspend(
    *,
    assessor_id,
    actor,
    grounds: str,
    explanation: str,
    evidence: str = "",
    evidence_file=None,
    now: datetime,
) -> SupervisionAction:
    """R§16: the center suspends an assessor; they cannot be assigned meanwhile."""
    _require_center(actor)
    return _assessor_supervise(
        assessor_id=assessor_id,
        actor=actor,
        method="suspend",
        kind=SupervisionKind.SUSPEND,
        grounds=_grounds(grounds),
        explanation=explanation,
        evidence=evidence,
        evidence_file=evidence_file,
        message=_g("Only a registered assessor can be suspended."),
        key="assessor.suspended",
        now=now,
    )


def assessor_reinstate(
    *, assessor_id, actor, explanation: str, evidence: str = "", evidence_file=None, now: datetime
) -> SupervisionAction:
    """R§16: the suspension is lifted."""
    _require_center(actor)
    return _assessor_supervise(
        assessor_id=assessor_id,
        actor=actor,
        method="reinstate",
        kind=SupervisionKind.REINSTATE,
        grounds="",
        explanation=explanation,
        evidence=evidence,
        evidence_file=evidence_file,
        message=_g("Only a suspended assessor can be reinstated."),
        key="assessor.reinstated",
        now=now,
    )


def assessor_remove(
    *,
    assessor_id,
    actor,
    grounds: str = "",
    explanation: str,
    evidence: str = "",
    evidence_file=None,
    now: datetime,
) -> SupervisionAction:
    """R§16: the center stops an assessor (grounds required), or does not register a nominee;
    R§10: the institution releases one of its own (no grounds). Either way the person may then
    be nominated by another institution, and the roster is checked again (R§8)."""
    if actor.is_center_staff:
        if grounds:
            grounds = _grounds(grounds)
    elif actor.is_institution_admin:
        grounds = ""
    else:
        raise NotFound()
    return _assessor_supervise(
        assessor_id=assessor_id,
        actor=actor,
        method="remove",
        kind=SupervisionKind.REMOVE,
        grounds=grounds,
        explanation=explanation,
        evidence=evidence,
        evidence_file=evidence_file,
        message=_g("This assessor has already been removed."),
        key="assessor.removed",
        now=now,
    )


def assessor_update(
    *, assessor_id, actor, full_time: bool, contract_type: str, now: datetime
) -> Assessor:
    """R§8, R§10: the institution records a change of contract or working time."""
    if not actor.is_institution_admin:
        raise NotFound()
    if contract_type not in ContractType.values:
        raise InvalidInput(
            _g("An assessor has a labour or a service contract with the institution (R§10)."),
            field="contract_type",
        )
    if not isinstance(full_time, bool):
        raise InvalidInput(_g("Say whether the assessor works full-time."), field="full_time")
    with transaction.atomic():
        assessor = _assessor_for_update(assessor_id, actor)
        if assessor.state == AssessorState.REMOVED:
            raise Conflict(_g("This assessor has already been removed."))
        assessor.full_time, assessor.contract_type = full_time, contract_type
        assessor.save(update_fields=["full_time", "contract_type"])
        audit_record(
            actor=actor,
            action="assessor.update",
            obj=assessor,
            now=now,
            data={"full_time": full_time, "contract_type": contract_type},
        )
        institutions_staffing_check(now=now, institution_ids=[assessor.institution_id])
    return assessor


# ---- continuous compliance (R§8, R§12): scheduled and after every roster change


def institutions_staffing_check(*, now: datetime, institution_ids=None) -> int:
    """R§8: flag institutions in operation whose registered roster is below the bar (the
    center and the institution are told; `accepting()` leaves them out) and clear the flag of
    those that recovered. Set-based: the same few queries whatever the number of institutions.
    Returns the number of institutions whose flag changed."""
    with transaction.atomic():
        qs = Institution.objects.filter(
            state__in=[InstitutionState.APPROVED, InstitutionState.SUSPENDED]
        )
        if institution_ids is not None:
            qs = qs.filter(pk__in=list(institution_ids))
        # Lock first, then count: PostgreSQL refuses FOR UPDATE together with GROUP BY.
        ids = list(qs.select_for_update().order_by("pk").values_list("pk", flat=True))
        rows = list(with_staffing(Institution.objects.filter(pk__in=ids)).order_by("pk"))
        short, recovered = [], []
        for inst in rows:
            staffing = staffing_of(inst)
            if not staffing.meets and inst.staffing_short_since is None:
                short.append((inst, staffing))
            elif staffing.meets and inst.staffing_short_since is not None:
                recovered.append((inst, staffing))
        checked = [inst.pk for inst in rows]
        if checked:
            Institution.objects.filter(pk__in=checked).update(staffing_checked_at=now)
        if short:
            Institution.objects.filter(pk__in=[i.pk for i, _ in short]).update(
                staffing_short_since=now
            )
        if recovered:
            Institution.objects.filter(pk__in=[i.pk for i, _ in recovered]).update(
                staffing_short_since=None
            )
        for action, items in (
            ("institution.staffing_short", short),
            ("institution.staffing_recovered", recovered),
        ):
            audit_records_bulk(
                actor=None,
                action=action,
                model=Institution,
                items=[(i.pk, s.params()) for i, s in items],
                now=now,
            )
        changed = short + recovered
        if changed:
            center = _center_staff()
            admins: dict[int, list] = {}
            for user in User.objects.filter(
                role=Role.INSTITUTION_ADMIN,
                is_active=True,
                institution_id__in=[i.pk for i, _ in changed],
            ):
                admins.setdefault(user.institution_id, []).append(user)
            notifications_create_many(
                items=[
                    (
                        center + admins.get(inst.pk, []),
                        "institution.staffing_short"
                        if (inst, s) in short
                        else "institution.staffing_recovered",
                        {"name": inst.name, **s.params()},
                        reverse("institutions:institution-manage", args=[inst.pk]),
                    )
                    for inst, s in changed
                ],
                now=now,
            )
    return len(short) + len(recovered)


def assessors_participation_check(*, now: datetime) -> int:
    """R§12: each assessor takes part in at least 3 evaluations a year. From 1 October the
    registered assessors still short this year are warned (with their institution); after the
    year end those who stayed short are flagged to the center. Each once per year (the year is
    stored), set-based. Returns the number of assessors flagged."""
    minimum = settings.ASSESSOR_MIN_EVALUATIONS_PER_YEAR
    today = timezone.localdate(now)
    month, day = settings.ASSESSOR_PARTICIPATION_WARN_FROM
    flagged = 0
    with transaction.atomic():
        stages = [(today.year - 1, "short")]
        if today >= date(today.year, month, day):
            stages.append((today.year, "warned"))
        center = None
        for year, stage in stages:
            field = f"participation_{stage}_year"
            qs = Assessor.objects.filter(state=AssessorState.REGISTERED).exclude(**{field: year})
            if stage == "short":
                # Only assessors registered for the whole year are held to it.
                qs = qs.filter(registered_at__lt=year_bounds(year)[0])
            rows = list(
                with_participation(qs.select_related("institution", "user"), year).filter(
                    evaluations__lt=minimum
                )
            )
            if not rows:
                continue
            Assessor.objects.filter(pk__in=[a.pk for a in rows]).update(**{field: year})
            audit_records_bulk(
                actor=None,
                action=f"assessor.participation_{stage}",
                model=Assessor,
                items=[(a.pk, {"year": year, "evaluations": a.evaluations}) for a in rows],
                now=now,
            )
            admins: dict[int, list] = {}
            for user in User.objects.filter(
                role=Role.INSTITUTION_ADMIN,
                is_active=True,
                institution_id__in={a.institution_id for a in rows},
            ):
                admins.setdefault(user.institution_id, []).append(user)
            if stage == "short" and center is None:
                center = _center_staff()
            key = (
                "assessor.participation_warning"
                if stage == "warned"
                else "assessor.participation_short"
            )
            link = reverse("institutions:participation") + f"?year={year}"
            notifications_create_many(
                items=[
                    (
                        [a.user, *admins.get(a.institution_id, []), *(center or [])],
                        key,
                        {
                            "name": a.display_name,
                            "institution": a.institution.name,
                            "count": a.evaluations,
                            "year": year,
                            "minimum": minimum,
                        },
                        link,
                    )
                    for a in rows
                ],
                now=now,
            )
            flagged += len(rows)
    return flagged


# ---- the expert pool (M§8)


def _expert_fields(fields_of_expertise, employer_id, employer_name, available, max_open_reviews):
    fields_of_expertise = text_value(
        fields_of_expertise,
        field="fields_of_expertise",
        label=_g("Fields of expertise"),
        max_length=300,
    )
    employer = None
    if employer_id not in (None, ""):
        employer = Organization.objects.filter(pk=employer_id).first()
        if employer is None:
            raise InvalidInput(_g("Choose a registered organisation."), field="employer")
    employer_name = text_value(
        employer_name or (employer.name if employer else ""),
        field="employer_name",
        label=_g("Employer name"),
        required=False,
        max_length=200,
    )
    if not isinstance(available, bool):
        raise InvalidInput(_g("Say whether the expert is available."), field="available")
    if not isinstance(max_open_reviews, int) or not 1 <= max_open_reviews <= 50:
        raise InvalidInput(
            _g("The maximum of open reviews is between 1 and 50."), field="max_open_reviews"
        )
    return {
        "fields_of_expertise": fields_of_expertise,
        "employer": employer,
        "employer_name": employer_name,
        "available": available,
        "max_open_reviews": max_open_reviews,
    }


def expert_create(
    *,
    actor,
    username: str,
    display_name: str,
    email: str,
    fields_of_expertise: str,
    employer_id=None,
    employer_name: str = "",
    available: bool = True,
    max_open_reviews: int = 5,
    now: datetime,
) -> Expert:
    """M§8: the center adds a person to its expert pool (a new expert account)."""
    _require_center(actor)
    username = text_value(username, field="username", label=_g("User name"), max_length=150)
    try:
        UnicodeUsernameValidator()(username)
    except ValidationError:
        raise InvalidInput(
            _g("A user name has letters, digits and @ . + - _ only."), field="username"
        ) from None
    display_name = text_value(display_name, field="display_name", label=_g("Name"), max_length=100)
    email = text_value(email, field="email", label=_g("E-mail"), max_length=254)
    try:
        validate_email(email)
    except ValidationError:
        raise InvalidInput(_g("Enter a valid e-mail address."), field="email") from None
    values = _expert_fields(
        fields_of_expertise, employer_id, employer_name, available, max_open_reviews
    )
    with transaction.atomic():
        if User.objects.filter(username__iexact=username).exists():
            raise Conflict(_g("This user name is taken; choose another."), field="username")
        user = User(username=username, email=email, role=Role.EXPERT, display_name=display_name)
        user.set_unusable_password()
        user.save()
        expert = Expert.objects.create(user=user, **values)
        audit_record(
            actor=actor,
            action="expert.create",
            obj=expert,
            now=now,
            data={"username": username, "fields": values["fields_of_expertise"]},
        )
    return expert


def expert_update(
    *,
    actor,
    expert_id,
    fields_of_expertise: str,
    employer_id=None,
    employer_name: str = "",
    available: bool,
    max_open_reviews: int,
    now: datetime,
) -> Expert:
    """M§8: the center keeps an expert's profile current."""
    _require_center(actor)
    values = _expert_fields(
        fields_of_expertise, employer_id, employer_name, available, max_open_reviews
    )
    with transaction.atomic():
        expert = Expert.objects.select_for_update().filter(pk=expert_id).first()
        if expert is None:
            raise NotFound()
        for key, value in values.items():
            setattr(expert, key, value)
        expert.save()
        audit_record(
            actor=actor,
            action="expert.update",
            obj=expert,
            now=now,
            data={
                **{k: v for k, v in values.items() if k != "employer"},
                "employer": values["employer"].pk if values["employer"] else None,
            },
        )
    return expert


def conflict_declare(
    *, actor, expert_id, organization_id, reason: str, now: datetime
) -> ConflictDeclaration:
    """M§8, M§14: the center records an expert's declared conflict with an organisation."""
    _require_center(actor)
    reason = text_value(reason, field="reason", label=_g("Reason"))
    with transaction.atomic():
        expert = Expert.objects.select_related("user").filter(pk=expert_id).first()
        if expert is None:
            raise NotFound()
        org = Organization.objects.filter(pk=organization_id).first() if organization_id else None
        if org is None:
            raise InvalidInput(_g("Choose a registered organisation."), field="organization")
        if ConflictDeclaration.objects.filter(person=expert.user, organization=org).exists():
            raise Conflict(_g("This conflict is already declared."), field="organization")
        declaration = ConflictDeclaration.objects.create(
            person=expert.user, organization=org, reason=reason, declared_at=now
        )
        audit_record(
            actor=actor,
            action="expert.conflict_declare",
            obj=declaration,
            now=now,
            data={"expert": expert.user.username, "organization": org.uscc, "reason": reason},
        )
    return declaration


def conflict_withdraw(*, actor, declaration_id, now: datetime) -> None:
    """M§8: a declaration recorded in error is withdrawn (the audit log keeps it)."""
    _require_center(actor)
    with transaction.atomic():
        declaration = (
            ConflictDeclaration.objects.select_related("person", "organization")
            .filter(pk=declaration_id)
            .first()
        )
        if declaration is None:
            raise NotFound()
        audit_record(
            actor=actor,
            action="expert.conflict_withdraw",
            obj=declaration,
            now=now,
            data={
                "expert": declaration.person.username,
                "organization": declaration.organization.uscc,
            },
        )
        declaration.delete()
