"""M§5 self-evaluation: scoring against the current rubric, result and gap, runs over time,
a draft application from a run, privacy."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from applications.models import Application
from ietsportal.errors import Conflict, InvalidInput, NotFound, NotPermitted, UnsupportedType
from rubrics.models import Rubric
from rubrics.scoring import score
from selection import services
from selection.models import SelfEvaluation
from selection.selectors import history_chart, self_evaluation_report
from tests.conftest import T0, pdf_upload, timedelta

from .conftest import completed_run, full_marks


def test_self_evaluation_create_keeps_the_current_rubric_version(world):
    run = services.self_evaluation_create(actor=world.applicant, kind="grade", now=T0)
    assert (run.rubric_id, run.state, run.organization_id, run.total) == (
        Rubric.objects.current("grade").pk,
        "draft",
        world.org.pk,
        Decimal("0"),
    )


def test_self_evaluation_create_refuses_people_without_an_organisation(world):
    with pytest.raises(NotPermitted):
        services.self_evaluation_create(actor=world.inst_admin, kind="grade", now=T0)
    with pytest.raises(InvalidInput):
        services.self_evaluation_create(actor=world.applicant, kind="bogus", now=T0)
    assert SelfEvaluation.objects.count() == 0


def test_self_evaluation_score_gives_area_scores_total_and_grade_as_the_rubric_does(world):
    run = services.self_evaluation_create(actor=world.applicant, kind="grade", now=T0)
    scores = full_marks(fraction=Decimal("0.8"))
    run = services.self_evaluation_score(
        actor=world.applicant,
        evaluation_id=run.pk,
        scores=scores,
        notes={"B1": "营业执照齐全。"},
        now=T0,
    )
    expected = score(Rubric.objects.current("grade"), scores)
    assert (run.total, run.grade, run.area_scores) == (
        expected.total,
        expected.grade,
        {k: str(v) for k, v in expected.areas.items()},
    )
    assert run.scores.get(code="B1").note == "营业执照齐全。"


def test_self_evaluation_score_refuses_out_of_range_and_unknown_criteria(world):
    run = services.self_evaluation_create(actor=world.applicant, kind="grade", now=T0)
    with pytest.raises(InvalidInput, match="B1"):
        services.self_evaluation_score(
            actor=world.applicant, evaluation_id=run.pk, scores={"B1": "11"}, now=T0
        )
    with pytest.raises(InvalidInput, match="ZZ9"):
        services.self_evaluation_score(
            actor=world.applicant, evaluation_id=run.pk, scores={"ZZ9": "1"}, now=T0
        )
    assert run.scores.count() == 0


def test_self_evaluation_report_names_the_criteria_that_gain_most_per_area(world):
    run = services.self_evaluation_create(actor=world.applicant, kind="grade", now=T0)
    scores = full_marks(fraction=Decimal("0.5"))
    services.self_evaluation_score(
        actor=world.applicant, evaluation_id=run.pk, scores=scores, now=T0
    )
    report = self_evaluation_report(SelfEvaluation.objects.get(pk=run.pk))
    rubric = report["rubric"]
    total_weight = sum(c.weight for c in rubric.criteria_list)
    basic = next(a for a in report["areas"] if a["code"] == "basic")
    # At half marks a criterion gains half its weight's share: the heaviest criteria first.
    heaviest = sorted(
        (c for c in rubric.criteria_list if c.area == "basic"),
        key=lambda c: (-c.weight, c.position),
    )[:2]
    assert [i.criterion.code for i in basic["best_gains"]] == [c.code for c in heaviest]
    assert basic["best_gains"][0].gain == (heaviest[0].weight / 2 / total_weight * 100).quantize(
        Decimal("0.01")
    )
    assert report["result"].next_grade != ""


def test_self_evaluation_complete_needs_every_criterion(world):
    run = services.self_evaluation_create(actor=world.applicant, kind="grade", now=T0)
    services.self_evaluation_score(
        actor=world.applicant, evaluation_id=run.pk, scores={"B1": "5"}, now=T0
    )
    with pytest.raises(InvalidInput, match="B2"):
        services.self_evaluation_complete(actor=world.applicant, evaluation_id=run.pk, now=T0)
    assert SelfEvaluation.objects.get(pk=run.pk).state == "draft"


def test_self_evaluation_states_draft_completed_withdrawn(world):
    run = completed_run(world.applicant)
    assert (run.state, run.total, run.grade) == ("completed", Decimal("100.00"), "IETS-E")
    with pytest.raises(Conflict):
        services.self_evaluation_score(
            actor=world.applicant, evaluation_id=run.pk, scores={"B1": "1"}, now=T0
        )
    run = services.self_evaluation_withdraw(actor=world.applicant, evaluation_id=run.pk, now=T0)
    assert run.state == "withdrawn"
    with pytest.raises(Conflict):
        services.self_evaluation_withdraw(actor=world.applicant, evaluation_id=run.pk, now=T0)


def test_self_evaluation_of_another_organisation_is_not_found(world):
    run = services.self_evaluation_create(actor=world.applicant, kind="grade", now=T0)
    for call in (
        lambda: services.self_evaluation_score(
            actor=world.other_applicant, evaluation_id=run.pk, scores={}, now=T0
        ),
        lambda: services.self_evaluation_complete(
            actor=world.other_applicant, evaluation_id=run.pk, now=T0
        ),
        lambda: services.self_evaluation_withdraw(
            actor=world.other_applicant, evaluation_id=run.pk, now=T0
        ),
    ):
        with pytest.raises(NotFound):
            call()


def test_self_evaluation_evidence_checks_the_file_like_application_evidence(world):
    run = services.self_evaluation_create(actor=world.applicant, kind="grade", now=T0)
    item = services.self_evaluation_evidence_add(
        actor=world.applicant, evaluation_id=run.pk, upload=pdf_upload(), code="B1", now=T0
    )
    assert (item.code, item.content_type, item.original_name) == (
        "B1",
        "application/pdf",
        "证明材料.pdf",
    )
    fake = SimpleUploadedFile(
        "x.pdf", b"MZ\x90\x00 not a pdf at all", content_type="application/pdf"
    )
    with pytest.raises(UnsupportedType):
        services.self_evaluation_evidence_add(
            actor=world.applicant, evaluation_id=run.pk, upload=fake, now=T0
        )
    with pytest.raises(InvalidInput):
        services.self_evaluation_evidence_add(
            actor=world.applicant, evaluation_id=run.pk, upload=pdf_upload("a\u200bb.pdf"), now=T0
        )
    assert run.evidence.count() == 1


def test_self_evaluation_to_application_carries_the_evidence_over(world):
    run = services.self_evaluation_create(actor=world.applicant, kind="grade", now=T0)
    services.self_evaluation_evidence_add(
        actor=world.applicant, evaluation_id=run.pk, upload=pdf_upload(), code="T1", now=T0
    )
    services.self_evaluation_score(
        actor=world.applicant,
        evaluation_id=run.pk,
        scores=full_marks(fraction=Decimal("0.8")),
        now=T0,
    )
    run = services.self_evaluation_complete(actor=world.applicant, evaluation_id=run.pk, now=T0)
    app = services.self_evaluation_to_application(
        actor=world.applicant, evaluation_id=run.pk, institution_id=world.inst.pk, now=T0
    )
    evidence = app.evidence.get()
    assert (app.state, app.kind, app.requested_grade, app.organization_id) == (
        "draft",
        "grade",
        run.grade,
        world.org.pk,
    )
    assert (evidence.original_name, evidence.sha256) == (
        "证明材料.pdf",
        run.evidence.get().sha256,
    )
    with pytest.raises(Conflict):
        services.self_evaluation_to_application(
            actor=world.applicant, evaluation_id=run.pk, institution_id=world.inst.pk, now=T0
        )


def test_self_evaluation_to_application_refuses_a_withdrawn_run(world):
    run = completed_run(world.applicant)
    services.self_evaluation_withdraw(actor=world.applicant, evaluation_id=run.pk, now=T0)
    with pytest.raises(Conflict):
        services.self_evaluation_to_application(
            actor=world.applicant, evaluation_id=run.pk, institution_id=world.inst.pk, now=T0
        )
    assert Application.objects.count() == 0


def test_history_chart_plots_totals_oldest_first_without_withdrawn_runs(world):
    runs = [
        completed_run(world.applicant, fraction=Decimal(f), now=T0 + timedelta(days=i))
        for i, f in enumerate(["0.5", "0.75", "1"])
    ]
    services.self_evaluation_withdraw(actor=world.applicant, evaluation_id=runs[1].pk, now=T0)
    chart = history_chart(SelfEvaluation.objects.all())
    assert [p["run"].pk for p in chart["points"]] == [runs[0].pk, runs[2].pk]
    assert [p["y"] for p in chart["points"]] == [112.0, 12.0]  # 50 and 100 on a 200px scale


# ---- pages and API


def test_pages_score_complete_and_chart(client, world):
    client.force_login(world.applicant)
    response = client.post("/self-evaluations/", {"kind": "grade", "title": "年初自评"})
    run = SelfEvaluation.objects.get()
    assert response.status_code == 302
    data = {f"score-{code}": value for code, value in full_marks().items()}
    data["score-B1"] = "99"
    response = client.post(f"/self-evaluations/{run.pk}/", data)
    assert response.status_code == 400
    assert "B1" in response.content.decode()
    data["score-B1"] = "10"
    assert client.post(f"/self-evaluations/{run.pk}/", data).status_code == 302
    assert client.post(f"/self-evaluations/{run.pk}/complete/").status_code == 302
    page = client.get("/self-evaluations/").content.decode()
    assert "<svg" in page and "年初自评" in page and "<script" not in page
    assert client.get(f"/self-evaluations/{run.pk}/").status_code == 200
    assert client.post(f"/self-evaluations/{run.pk}/complete/").status_code == 409


def test_pages_evidence_upload_and_download(client, world):
    run = services.self_evaluation_create(actor=world.applicant, kind="grade", now=T0)
    client.force_login(world.applicant)
    response = client.post(
        f"/self-evaluations/{run.pk}/evidence/", {"file": pdf_upload(), "code": "B2"}
    )
    assert response.status_code == 302
    item = run.evidence.get()
    response = client.get(f"/self-evaluations/{run.pk}/evidence/{item.pk}/")
    assert (response.status_code, response["X-Content-Type-Options"]) == (200, "nosniff")
    b"".join(response.streaming_content)
    client.force_login(world.other_applicant)
    assert client.get(f"/self-evaluations/{run.pk}/evidence/{item.pk}/").status_code == 404


def test_api_self_evaluation_round_trip(world):
    api = APIClient()
    api.force_authenticate(world.applicant)
    created = api.post("/api/v1/self-evaluations/", {"kind": "grade"}, format="json")
    assert created.status_code == 201
    pk = created.json()["id"]
    bad = api.patch(f"/api/v1/self-evaluations/{pk}/", {"scores": {"B1": "x"}}, format="json")
    assert (bad.status_code, bad.json()["field"]) == (400, "B1")
    ok = api.patch(f"/api/v1/self-evaluations/{pk}/", {"scores": full_marks()}, format="json")
    assert (ok.status_code, ok.json()["total"], ok.json()["result"]["grade"]) == (
        200,
        "100.00",
        "IETS-E",
    )
    done = api.post(f"/api/v1/self-evaluations/{pk}/complete/")
    assert done.json()["state"] == "completed"
    app = api.post(
        f"/api/v1/self-evaluations/{pk}/application/", {"institution": world.inst.pk}, format="json"
    )
    assert app.status_code == 201
    assert Application.objects.get(pk=app.json()["id"]).requested_grade == "IETS-E"
    other = APIClient()
    other.force_authenticate(world.other_applicant)
    assert other.get(f"/api/v1/self-evaluations/{pk}/").status_code == 404
    assert other.get("/api/v1/self-evaluations/").json()["results"] == []


def test_history_chart_draws_the_grade_thresholds(world):
    run = completed_run(world.applicant, fraction=Decimal("0.5"))
    chart = history_chart([run], thresholds=[("IETS-4", Decimal("60")), ("IETS-E", Decimal("95"))])
    assert chart["thresholds"] == [{"grade": "IETS-4", "y": 92.0}, {"grade": "IETS-E", "y": 22.0}]


def test_runs_keep_their_rubric_version_when_a_new_one_is_published(world):
    from rubrics.services import rubric_draft_create, rubric_publish

    old = completed_run(world.applicant, fraction=Decimal("0.8"))
    draft = rubric_draft_create(actor=world.center, kind="grade", now=T0)
    criterion = draft.criteria.get(code="B1")
    criterion.weight = Decimal("20")
    criterion.save()
    rubric_publish(actor=world.center, rubric_id=draft.pk, now=T0)
    new = services.self_evaluation_create(actor=world.applicant, kind="grade", now=T0)
    old.refresh_from_db()
    assert (old.rubric.version, new.rubric.version) == (1, 2)
    assert self_evaluation_report(old)["result"].total == Decimal("80.00")
    # The old run stays readable on its page, with its own version.
    from django.test import Client

    client = Client()
    client.force_login(world.applicant)
    page = client.get(f"/self-evaluations/{old.pk}/").content.decode()
    assert " v1</a>" in page


def test_innovation_self_evaluation_has_no_grade(client, world):
    run = completed_run(world.assoc_applicant, kind="innovation", fraction=Decimal("0.9"))
    assert (run.state, run.total, run.grade) == ("completed", Decimal("90.00"), "")
    client.force_login(world.assoc_applicant)
    page = client.get(f"/self-evaluations/{run.pk}/").content.decode()
    assert "90.00" in page and "可达到的等级" not in page
