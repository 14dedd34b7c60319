"""M§20: the holder asks, through the institution, for a decision to be reconsidered."""

from datetime import timedelta

import pytest
from rest_framework.test import APIClient

from applications.enums import ApplicationState as S
from certificates import services
from certificates.enums import CertificateStatus as C
from certificates.models import Certificate, Reconsideration
from ietsportal.audit.models import AuditEntry
from ietsportal.errors import Conflict, InvalidInput, NotFound
from ietsportal.notifications.models import Notification

from ..conftest import T0


@pytest.fixture
def revoked(flow, world):
    certificate = Certificate.objects.get(application=flow.to(flow.draft(), S.ISSUED))
    services.certificate_revoke(
        number=certificate.number,
        actor=world.center,
        reason="材料存疑。",
        now=T0,
        grounds="false_material",
    )
    decision = certificate.decisions.get()
    services.certificate_decision_relay(decision_id=decision.pk, actor=world.inst_admin, now=T0)
    return decision


def test_upheld_reconsideration_withdraws_a_revocation(revoked, world):
    t = T0 + timedelta(days=1)
    item = services.reconsideration_file(
        decision_id=revoked.pk, actor=world.applicant, grounds="合同真实，附银行流水。", now=t
    )
    assert (
        Notification.objects.filter(
            key="certificate.reconsideration", recipient=world.inst_admin
        ).count()
        == 1
    )
    services.reconsideration_forward(
        reconsideration_id=item.pk, actor=world.inst_admin, note="已核实流水。", now=t
    )
    assert (
        Notification.objects.filter(
            key="certificate.reconsideration", recipient=world.center
        ).count()
        == 1
    )
    services.reconsideration_decide(
        reconsideration_id=item.pk,
        actor=world.center,
        upheld=True,
        reply="复议成立，撤销决定予以撤回。",
        now=t,
    )
    item.refresh_from_db()
    certificate = Certificate.objects.get(pk=revoked.certificate_id)
    assert (item.state, certificate.status) == ("upheld", C.VALID)
    assert list(certificate.decisions.values_list("kind", "reason")) == [
        ("revoke", "false_material"),
        ("restore", "reconsidered"),
    ]
    actions = list(
        AuditEntry.objects.filter(object_type="certificates.certificate")
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert actions[-4:] == [
        "certificate.reconsideration_file",
        "certificate.reconsideration_forward",
        "certificate.reconsideration_decide",
        "certificate.restore",
    ]
    assert (
        Notification.objects.filter(
            key="certificate.reconsideration", recipient=world.applicant
        ).count()
        == 2
    )  # fwd, decided


def test_dismissed_reconsideration_leaves_the_decision(revoked, world):
    item = services.reconsideration_file(
        decision_id=revoked.pk, actor=world.applicant, grounds="不服。", now=T0
    )
    services.reconsideration_forward(
        reconsideration_id=item.pk, actor=world.inst_admin, note="转报。", now=T0
    )
    services.reconsideration_decide(
        reconsideration_id=item.pk, actor=world.center, upheld=False, reply="维持原决定。", now=T0
    )
    assert Certificate.objects.get(pk=revoked.certificate_id).status == C.REVOKED
    # a new request may follow a decided one
    again = services.reconsideration_file(
        decision_id=revoked.pk, actor=world.applicant, grounds="补充新证据。", now=T0
    )
    assert again.state == "filed"


def test_upheld_reconsideration_lifts_a_suspension(flow, world):
    certificate = Certificate.objects.get(application=flow.to(flow.draft(), S.ISSUED))
    services.certificate_suspend(
        number=certificate.number, actor=world.center, reason="核查。", now=T0
    )
    decision = certificate.decisions.get()
    services.certificate_decision_relay(decision_id=decision.pk, actor=world.inst_admin, now=T0)
    item = services.reconsideration_file(
        decision_id=decision.pk, actor=world.applicant, grounds="已整改。", now=T0
    )
    services.reconsideration_forward(
        reconsideration_id=item.pk, actor=world.inst_admin, note="属实。", now=T0
    )
    services.reconsideration_decide(
        reconsideration_id=item.pk, actor=world.center, upheld=True, reply="解除暂停。", now=T0
    )
    certificate.refresh_from_db()
    assert certificate.status == C.VALID
    assert certificate.decisions.last().kind == "reinstate"


def test_reconsideration_refusals_store_nothing(revoked, world, flow):
    def count():
        return Reconsideration.objects.count(), AuditEntry.objects.count()

    before = count()
    with pytest.raises(NotFound):  # not the holder
        services.reconsideration_file(
            decision_id=revoked.pk, actor=world.other_applicant, grounds="x", now=T0
        )
    with pytest.raises(InvalidInput):
        services.reconsideration_file(
            decision_id=revoked.pk, actor=world.applicant, grounds=" ", now=T0
        )
    assert count() == before
    item = services.reconsideration_file(
        decision_id=revoked.pk, actor=world.applicant, grounds="理由。", now=T0
    )
    with pytest.raises(Conflict):  # one open request at a time
        services.reconsideration_file(
            decision_id=revoked.pk, actor=world.applicant, grounds="再次。", now=T0
        )
    with pytest.raises(Conflict):  # not forwarded yet
        services.reconsideration_decide(
            reconsideration_id=item.pk, actor=world.center, upheld=True, reply="x", now=T0
        )
    with pytest.raises(NotFound):  # another institution
        services.reconsideration_forward(
            reconsideration_id=item.pk, actor=world.other_admin, note="x", now=T0
        )
    with pytest.raises(NotFound):  # only the center decides
        services.reconsideration_decide(
            reconsideration_id=item.pk, actor=world.inst_admin, upheld=True, reply="x", now=T0
        )


def test_reconsideration_waits_for_the_institution_to_relay(flow, world):
    certificate = Certificate.objects.get(application=flow.to(flow.draft(), S.ISSUED))
    services.certificate_revoke(number=certificate.number, actor=world.center, reason="x", now=T0)
    with pytest.raises(Conflict):
        services.reconsideration_file(
            decision_id=certificate.decisions.get().pk,
            actor=world.applicant,
            grounds="理由。",
            now=T0,
        )


def test_restore_is_not_a_choice_of_the_decision_form_or_api(revoked, world):
    api = APIClient()
    api.force_authenticate(world.center)
    number = revoked.certificate.number
    response = api.post(
        f"/api/v1/certificates/{number}/decisions/",
        {"kind": "restore", "grounds": "reconsidered", "explanation": "x"},
        format="json",
    )
    assert response.status_code == 400
    assert Certificate.objects.get(number=number).status == C.REVOKED


def test_reconsideration_through_the_api_and_the_page(revoked, world, client):
    number = revoked.certificate.number
    holder = APIClient()
    holder.force_authenticate(world.applicant)
    response = holder.post(
        f"/api/v1/certificates/{number}/decisions/{revoked.pk}/reconsideration/",
        {"grounds": "请求复议。"},
        format="json",
    )
    assert response.status_code == 201
    item = Reconsideration.objects.get()
    assert response.json()["decisions"][0]["reconsiderations"][0]["state"] == "filed"
    client.force_login(world.inst_admin)
    page = client.get(f"/certificates/{number}/")
    assert f"/certificates/{number}/reconsideration-forward/{item.pk}/" in page.content.decode()
    response = client.post(
        f"/certificates/{number}/reconsideration-forward/{item.pk}/", {"note": "转报评价中心。"}
    )
    assert (response.status_code, response["Location"]) == (302, f"/certificates/{number}/")
    center = APIClient()
    center.force_authenticate(world.center)
    response = center.post(
        f"/api/v1/certificates/{number}/reconsiderations/{item.pk}/decide/",
        {"upheld": True, "reply": "成立。"},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["status"] == "valid"
