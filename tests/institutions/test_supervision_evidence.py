"""R§16: a supervision action carries the document it rests on (an inspection report, a
finding): attached when the action is taken, checked as evidence is, shown in the history and
downloaded by the center and the institution's admins only."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from ietsportal.audit.models import AuditEntry
from ietsportal.demo import DEMO_PDF
from ietsportal.errors import UnsupportedType
from institutions import services
from institutions.enums import AssessorState, InstitutionState
from institutions.models import SupervisionAction, SupervisionEvidence

from ..conftest import T0


def report(name="检查报告.pdf", content=DEMO_PDF):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def stored(settings) -> list[str]:
    root = settings.MEDIA_ROOT / "supervision"
    return sorted(p.name for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_the_center_suspends_with_a_report_that_the_institution_downloads(world, client):
    client.force_login(world.center)

    response = client.post(
        f"/institutions/{world.inst.pk}/manage/suspend/",
        {
            "suspend-grounds": "rules",
            "suspend-explanation": "未按规定保存评价记录。",
            "suspend-evidence_file": report(),
        },
    )

    assert response.status_code == 302
    action = SupervisionAction.objects.get()
    item = action.files.get()
    assert (item.original_name, item.size, item.uploaded_by) == (
        "检查报告.pdf",
        len(DEMO_PDF),
        world.center,
    )
    entry = AuditEntry.objects.get(action="institution.suspend")
    assert entry.data["evidence_file"] == {
        "file": "检查报告.pdf",
        "sha256": item.sha256,
        "size": len(DEMO_PDF),
    }
    url = f"/institutions/supervision/{action.pk}/files/{item.pk}/"
    for reader in (world.center, world.inst_admin):
        client.force_login(reader)
        page = client.get(f"/institutions/{world.inst.pk}/manage/").content.decode()
        assert f'href="{url}"' in page
        response = client.get(url)
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == DEMO_PDF
        assert response["Content-Disposition"].startswith("attachment;")
    for outsider in (world.other_admin, world.applicant, world.assessors[0], world.experts[0]):
        client.force_login(outsider)
        assert client.get(url).status_code == 404, outsider


def test_a_refused_report_leaves_the_institution_as_it_was(world, settings):
    with pytest.raises(UnsupportedType) as exc:
        services.institution_suspend(
            institution_id=world.inst.pk,
            actor=world.center,
            grounds="rules",
            explanation="未按规定保存评价记录。",
            evidence_file=report(content=b"MZ\x90\x00 an executable"),
            now=T0,
        )
    assert exc.value.field == "evidence_file"
    world.inst.refresh_from_db()
    assert world.inst.state == InstitutionState.APPROVED
    assert SupervisionAction.objects.count() == SupervisionEvidence.objects.count() == 0
    assert not AuditEntry.objects.filter(action="institution.suspend").exists()
    assert stored(settings) == []


def test_a_report_whose_action_fails_leaves_no_file_behind(world, settings):
    from ietsportal.errors import Conflict

    services.institution_stop(
        institution_id=world.local_inst.pk,
        actor=world.center,
        grounds="law",
        explanation="违法。",
        now=T0,
    )
    with pytest.raises(Conflict):  # a stopped institution cannot be suspended
        services.institution_suspend(
            institution_id=world.local_inst.pk,
            actor=world.center,
            grounds="law",
            explanation="违法。",
            evidence_file=report(),
            now=T0,
        )
    assert SupervisionEvidence.objects.count() == 0
    assert stored(settings) == []


def test_the_api_suspends_an_assessor_with_a_report(world):
    assessor = world.assessors[0].assessor_profile
    api = APIClient()
    api.force_authenticate(world.center)

    response = api.post(
        f"/api/v1/assessors/{assessor.pk}/actions/suspend/",
        {"grounds": "assessor_capacity", "explanation": "能力不足。", "evidence_file": report()},
        format="multipart",
    )

    assert response.status_code == 200, response.content
    assert response.json()["state"] == AssessorState.SUSPENDED
    action = SupervisionAction.objects.get(assessor=assessor)
    assert [f.original_name for f in action.files.all()] == ["检查报告.pdf"]
    # JSON still works, without a file
    response = api.post(
        f"/api/v1/assessors/{assessor.pk}/actions/reinstate/",
        {"explanation": "已整改。"},
        format="json",
    )
    assert response.status_code == 200
    assert SupervisionEvidence.objects.count() == 1
