"""Eligibility, checked when the applicant submits (M§13, M§11–12, M§10, R§16): each failure
is a clear message (400), and the application stays a draft with nothing recorded."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext
from rest_framework.test import APIClient

from applications import services
from applications.enums import ApplicationState as S
from applications.models import Application
from applications.workflow import eligibility_problems
from certificates.services import certificate_revoke, certificate_suspend
from ietsportal.accounts.models import Organization
from ietsportal.audit.models import AuditEntry
from ietsportal.errors import Conflict, InvalidInput
from institutions.enums import InstitutionState
from tests.conftest import T0, pdf_upload
from tests.factories import OrganizationFactory, UserFactory

MSG_INDEPENDENT = (
    "Declare that the organisation is an independent legal person registered in the PRC (M§13(1))."
)
MSG_NO_VIOLATIONS = (
    "Declare that there were no violations of law or serious dishonesty in the "
    "last three years (M§13(2))."
)
MSG_REVOKED = (
    "A certificate of this organisation was revoked in the last three years, so it "
    "cannot apply now (M§13(2))."
)
MSG_ENTERPRISES_ONLY = (
    "Only enterprises may apply for a graded IETS evaluation; other "
    "organisations may apply for the innovation evaluation (M§11–12)."
)
MSG_NOT_ACCEPTING = "%(institution)s is not accepting applications now (R§16)."
MSG_LOCAL = (
    "%(institution)s is a local institution and accepts only organisations registered "
    "in its own region (M§10)."
)
MSG_EVIDENCE = "Attach at least one evidence file (M§13(3))."
MSG_USCC = "The organisation's unified social credit code is not valid (M§13)."


def msg(msgid, **params):
    with translation.override(settings.LANGUAGE_CODE):
        text = gettext(msgid)
        return text % params if params else text


def draft(
    applicant,
    institution,
    *,
    kind="grade",
    grade="IETS-3",
    evidence=True,
    independent=True,
    no_violations=True,
    now=T0,
):
    app = services.application_create(
        actor=applicant,
        institution_id=institution.pk,
        kind=kind,
        requested_grade=grade,
        declares_independent_legal_person=independent,
        declares_no_violations=no_violations,
        now=now,
    )
    if evidence:
        services.evidence_add(application=app, actor=applicant, upload=pdf_upload(), now=now)
    return app


def submit_refused(app, actor, now=T0 + timedelta(hours=1)):
    """Submit must fail with a 400; the draft stays as it was and nothing is audited."""
    entries = AuditEntry.objects.count()
    with pytest.raises(InvalidInput) as exc:
        services.application_transition(application_id=app.pk, name="submit", actor=actor, now=now)
    app.refresh_from_db()
    assert (app.state, app.submitted_at) == (S.DRAFT, None)
    assert AuditEntry.objects.count() == entries
    assert exc.value.status_code == 400
    return exc.value.message


def submit(app, actor, now=T0 + timedelta(hours=1)):
    return services.application_transition(
        application_id=app.pk, name="submit", actor=actor, now=now
    )


def test_eligible_draft_has_no_problems_and_submits(world):
    app = draft(world.applicant, world.inst)

    assert eligibility_problems(app, now=T0) == []
    assert submit(app, world.applicant).state == S.SUBMITTED


# ---- M§13: declarations, USCC, evidence, no revocation in the last three years


def test_submit_without_the_legal_person_declaration_is_refused(world):
    app = draft(world.applicant, world.inst, independent=False)

    message = submit_refused(app, world.applicant)

    assert message == msg(MSG_INDEPENDENT)
    assert "M§13(1)" in message


def test_submit_without_the_no_violations_declaration_is_refused(world):
    app = draft(world.applicant, world.inst, no_violations=False)

    assert submit_refused(app, world.applicant) == msg(MSG_NO_VIOLATIONS)


def test_submit_without_either_declaration_names_both(world):
    app = draft(world.applicant, world.inst, independent=False, no_violations=False)

    assert submit_refused(app, world.applicant) == " ".join(
        [msg(MSG_INDEPENDENT), msg(MSG_NO_VIOLATIONS)]
    )


def test_submit_after_adding_the_declarations_succeeds(world):
    app = draft(world.applicant, world.inst, independent=False, no_violations=False)
    submit_refused(app, world.applicant)

    services.application_update_draft(
        application=app,
        actor=world.applicant,
        now=T0,
        data={"declares_independent_legal_person": True, "declares_no_violations": True},
    )

    assert submit(app, world.applicant).state == S.SUBMITTED


def test_submit_without_evidence_is_refused(world):
    app = draft(world.applicant, world.inst, evidence=False)

    message = submit_refused(app, world.applicant)

    assert message == msg(MSG_EVIDENCE)
    assert "M§13(3)" in message


def test_submit_with_an_invalid_uscc_is_refused(world):
    app = draft(world.applicant, world.inst)
    bad = world.org.uscc[:-1] + ("0" if world.org.uscc[-1] != "0" else "1")
    Organization.objects.filter(pk=world.org.pk).update(uscc=bad)  # e.g. legacy data

    assert submit_refused(app, world.applicant) == msg(MSG_USCC)


def _certificate_for(flow, applicant):
    app = flow.to(flow.draft(applicant), S.ISSUED)
    return app.certificate


def test_submit_within_three_years_of_a_revocation_is_refused(flow, world):
    certificate = _certificate_for(flow, world.applicant)
    revoked_at = T0 + timedelta(days=30)
    certificate_revoke(
        number=certificate.number, actor=world.center, reason="虚假材料。", now=revoked_at
    )
    app = draft(world.applicant, world.inst, now=revoked_at)

    message = submit_refused(app, world.applicant, now=revoked_at + timedelta(days=3 * 365))

    assert message == msg(MSG_REVOKED)
    assert "M§13(2)" in message


def test_submit_more_than_three_years_after_a_revocation_is_allowed(flow, world):
    certificate = _certificate_for(flow, world.applicant)
    revoked_at = T0 + timedelta(days=30)
    certificate_revoke(
        number=certificate.number, actor=world.center, reason="虚假材料。", now=revoked_at
    )
    app = draft(world.applicant, world.inst, now=revoked_at)
    later = revoked_at.replace(year=revoked_at.year + 3) + timedelta(seconds=1)

    assert eligibility_problems(app, now=later) == []
    assert submit(app, world.applicant, now=later).state == S.SUBMITTED


def test_submit_after_a_suspension_or_another_organisations_revocation_is_allowed(flow, world):
    own = _certificate_for(flow, world.applicant)
    other = _certificate_for(flow, world.other_applicant)
    certificate_suspend(number=own.number, actor=world.center, reason="暂停。", now=T0)
    certificate_revoke(number=other.number, actor=world.center, reason="撤销。", now=T0)
    app = draft(world.applicant, world.inst)

    assert submit(app, world.applicant, now=T0 + timedelta(days=1)).state == S.SUBMITTED


# ---- M§11–12: only enterprises apply for a grade; anyone for the innovation evaluation


def test_association_applying_for_a_grade_is_refused(world):
    app = draft(world.assoc_applicant, world.inst)

    message = submit_refused(app, world.assoc_applicant)

    assert message == msg(MSG_ENTERPRISES_ONLY)
    assert "M§11" in message


@pytest.mark.parametrize("org_type", ["public_institution", "association"])
def test_non_enterprise_may_apply_for_the_innovation_evaluation(world, org_type):
    org = OrganizationFactory(org_type=org_type)
    applicant = UserFactory(organization=org)
    app = draft(applicant, world.inst, kind="innovation", grade="")

    assert submit(app, applicant).state == S.SUBMITTED
    app.refresh_from_db()
    assert (app.kind, app.requested_grade) == ("innovation", "")


def test_grade_application_without_a_grade_cannot_be_created(world):
    entries = AuditEntry.objects.count()

    with pytest.raises(InvalidInput) as exc:
        draft(world.applicant, world.inst, grade="")

    assert exc.value.field == "requested_grade"
    assert "M§11" in exc.value.message
    assert (Application.objects.count(), AuditEntry.objects.count()) == (0, entries)


# ---- M§10, R§3: a local institution accepts only its own region


def test_local_institution_cannot_be_chosen_from_another_region(world):
    entries = AuditEntry.objects.count()

    with pytest.raises(InvalidInput) as exc:
        draft(world.applicant, world.local_inst)  # applicant registered in Beijing (11)

    assert exc.value.field == "institution"
    assert exc.value.message == msg("Choose an institution that accepts your organisation (M§10).")
    assert (Application.objects.count(), AuditEntry.objects.count()) == (0, entries)


def test_local_institution_accepts_its_own_region(world):
    org = OrganizationFactory(region="44")
    applicant = UserFactory(organization=org)

    app = draft(applicant, world.local_inst)

    assert submit(app, applicant).state == S.SUBMITTED


def test_submit_to_a_local_institution_after_the_region_changed_is_refused(world):
    org = OrganizationFactory(region="44")
    applicant = UserFactory(organization=org)
    app = draft(applicant, world.local_inst)
    Organization.objects.filter(pk=org.pk).update(region="31")

    message = submit_refused(app, applicant)

    assert message == msg(MSG_LOCAL, institution=world.local_inst.name)
    assert "M§10" in message


# ---- R§16: a suspended or stopped institution accepts nothing new


@pytest.mark.parametrize("state", [InstitutionState.SUSPENDED, InstitutionState.STOPPED])
def test_submit_to_a_suspended_institution_is_refused(world, state):
    app = draft(world.applicant, world.inst)
    world.inst.state = state
    world.inst.save()

    message = submit_refused(app, world.applicant)

    assert message == msg(MSG_NOT_ACCEPTING, institution=world.inst.name)
    assert "R§16" in message


def test_suspended_institution_cannot_be_chosen_for_a_new_draft(world):
    world.inst.state = InstitutionState.SUSPENDED
    world.inst.save()

    with pytest.raises(InvalidInput):
        draft(world.applicant, world.inst)
    assert Application.objects.count() == 0


def test_suspended_institution_cannot_accept_a_submitted_application(flow, world):
    app = flow.to(flow.draft(), S.SUBMITTED)
    world.inst.state = InstitutionState.SUSPENDED
    world.inst.save()
    entries = AuditEntry.objects.count()

    with pytest.raises(Conflict) as exc:
        flow.fire(
            app, "accept", world.inst_admin, lead_assessor="a-assessor1", assessors=["a-assessor2"]
        )

    app.refresh_from_db()
    assert (app.state, list(app.assessors.all()), AuditEntry.objects.count()) == (
        S.SUBMITTED,
        [],
        entries,
    )
    assert "R§16" in exc.value.message


# ---- the same refusals through the API


def test_api_submit_of_an_ineligible_draft_answers_400_with_the_rule(world):
    app = draft(world.assoc_applicant, world.inst, no_violations=False)
    client = APIClient()
    client.force_authenticate(world.assoc_applicant)
    entries = AuditEntry.objects.count()

    response = client.post(f"/api/v1/applications/{app.pk}/transitions/submit/", {}, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "detail": " ".join([msg(MSG_NO_VIOLATIONS), msg(MSG_ENTERPRISES_ONLY)])
    }
    assert "M§11" in response.json()["detail"]
    app.refresh_from_db()
    assert (app.state, AuditEntry.objects.count()) == (S.DRAFT, entries)


def test_api_create_for_a_local_institution_of_another_region_answers_400(world):
    client = APIClient()
    client.force_authenticate(world.applicant)

    response = client.post(
        "/api/v1/applications/",
        {
            "institution": world.local_inst.pk,
            "kind": "grade",
            "requested_grade": "IETS-3",
            "declares_independent_legal_person": True,
            "declares_no_violations": True,
        },
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["field"] == "institution"
    assert "M§10" in response.json()["detail"]
    assert Application.objects.count() == 0
