"""Reads about applications, scoped to a user."""

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from ietsportal.accounts.enums import Role
from ietsportal.audit.models import AuditEntry
from institutions.enums import AssessorState

from .models import Application

OTHER_ACTIONS = {
    "application.create": _("Draft created"),
    "application.update": _("Draft edited"),
    "evidence.add": _("Evidence file added"),
    "application.expert_opinion": _("Expert opinion recorded"),
    "application.expert_declaration": _("Expert's conflict-of-interest declaration"),
    "application.objection": _("Objection filed"),
    "objection.dismiss": _("Objection dismissed"),
    "application.material_overdue": _("Requested material overdue"),
}


def action_label(action: str) -> str:
    """What an audit action means to a reader, in the reader's language."""
    from .workflow import STEPS

    name = action.removeprefix("application.")
    if name in STEPS:
        return STEPS[name].label
    return OTHER_ACTIONS.get(action, action)


def application_timeline(*, application: Application, user) -> list[AuditEntry]:
    """The application's steps from the audit log; the applicant sees only its public ones."""
    entries = AuditEntry.objects.filter(
        object_type="applications.application", object_id=str(application.pk)
    ).order_by("seq")
    if not (user.is_center_staff or user.is_institution_admin or user.is_assessor):
        entries = entries.filter(visible_to_applicant=True)
    entries = list(entries)
    for entry in entries:
        entry.label = action_label(entry.action)
    return entries


def registered_assessors_of(institution_id):
    return (
        get_user_model()
        .objects.filter(
            role=Role.ASSESSOR,
            is_active=True,
            institution_id=institution_id,
            assessor_profile__state=AssessorState.REGISTERED,
        )
        .select_related("assessor_profile")
        .order_by("assessor_profile__registration_number")
    )


def expert_pool():
    return get_user_model().objects.filter(role=Role.EXPERT, is_active=True).order_by("username")
