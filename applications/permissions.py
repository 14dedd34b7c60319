"""Who may fire what, as predicates that read as sentences: `predicate(application, user)`."""


def is_applicant_of(application, user) -> bool:
    return bool(user and user.is_applicant and user.organization_id == application.organization_id)


def is_institution_admin_of(application, user) -> bool:
    return bool(
        user and user.is_institution_admin and user.institution_id == application.institution_id
    )


def is_assigned_assessor_of(application, user) -> bool:
    return bool(
        user
        and user.is_assessor
        and user.institution_id == application.institution_id
        and application.assessors.filter(pk=user.pk).exists()
    )


def is_institution_staff_on(application, user) -> bool:
    return is_institution_admin_of(application, user) or is_assigned_assessor_of(application, user)


def is_institution_admin_or_lead_of(application, user) -> bool:
    return is_institution_admin_of(application, user) or bool(
        user
        and user.is_assessor
        and user.institution_id == application.institution_id
        and application.lead_assessor_id == user.pk
    )


def is_center_staff(application, user) -> bool:
    return bool(user and user.is_center_staff)


def is_panel_expert_of(application, user) -> bool:
    return bool(user and user.is_expert and application.expert_reviews.filter(expert=user).exists())
