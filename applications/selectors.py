"""Reads about applications, scoped to a user."""

from django.contrib.auth import get_user_model

from ietsportal.accounts.enums import Role
from ietsportal.audit.models import AuditEntry
from institutions.enums import AssessorState

from .models import Application


def application_timeline(*, application: Application, user) -> list[AuditEntry]:
    """The application's steps from the audit log; the applicant sees only its public ones."""
    entries = AuditEntry.objects.filter(object_type="applications.application",
                                        object_id=str(application.pk)).order_by("seq")
    if not (user.is_center_staff or user.is_institution_admin or user.is_assessor):
        entries = entries.filter(visible_to_applicant=True)
    return list(entries)


def registered_assessors_of(institution_id):
    return (get_user_model().objects.filter(
        role=Role.ASSESSOR, is_active=True, institution_id=institution_id,
        assessor_profile__state=AssessorState.REGISTERED)
        .select_related("assessor_profile").order_by("assessor_profile__registration_number"))


def expert_pool():
    return get_user_model().objects.filter(role=Role.EXPERT, is_active=True).order_by("username")
