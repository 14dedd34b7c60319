"""The dashboard: counts in the user's scope, each linking to its filtered list."""

import re
from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from applications.enums import ApplicationState as S
from supervision.selectors import dashboard_for, step_medians

from ..conftest import T0


def logged_in(user):
    client = APIClient()
    client.force_login(user)
    return client


def bars(data, name):
    return {b.label: (b.value, b.url) for b in data[name]}


def test_dashboard_counts_and_links_for_center(world, flow):
    flow.to(flow.draft(), S.ISSUED, now=T0)
    flow.to(flow.draft(world.other_applicant, institution=world.other_inst), S.SUBMITTED)
    data = dashboard_for(world.center, now=T0 + timedelta(days=1))
    assert bars(data, "applications_by_state") == {
        "已发证": (1, "/supervision/lists/applications/?state=issued"),
        "已提交": (1, "/supervision/lists/applications/?state=submitted"),
    }
    assert bars(data, "applications_by_institution") == {
        world.inst.name: (1, f"/supervision/lists/applications/?institution={world.inst.pk}"),
        world.other_inst.name: (
            1,
            f"/supervision/lists/applications/?institution={world.other_inst.pk}",
        ),
    }
    assert bars(data, "certificates_by_grade") == {
        "IETS-3": (1, "/supervision/lists/certificates/?grade=IETS-3")
    }
    assert [b.value for b in data["cases_by_age"]] == [0, 0, 0, 0]
    # Every state the issued application left has a median; the publicity lasted 7 days.
    assert {b.label: b.value for b in data["step_medians"]} == {
        "已提交": 0.0,
        "文件评审": 0.0,
        "现场评审": 0.0,
        "已出具评价报告": 0.0,
        "专家评审": 0.0,
        "公示中": 7.0,
    }


def test_dashboard_institution_sees_only_its_own_work(world, flow):
    flow.to(flow.draft(), S.ISSUED, now=T0)
    flow.to(flow.draft(world.other_applicant, institution=world.other_inst), S.SUBMITTED)
    data = dashboard_for(world.other_admin, now=T0)
    assert bars(data, "applications_by_state") == {
        "已提交": (1, "/supervision/lists/applications/?state=submitted")
    }
    assert data["certificates_by_grade"] == []
    assert "cases_by_age" not in data and "applications_by_institution" not in data


def test_dashboard_page_for_center_and_institution_404_for_others(world, flow):
    flow.to(flow.draft(), S.SUBMITTED)
    got = {
        who: logged_in(getattr(world, who)).get("/supervision/dashboard/").status_code
        for who in ("center", "inst_admin", "applicant", "assessors")
        if who != "assessors"
    }
    got["assessor"] = logged_in(world.assessors[0]).get("/supervision/dashboard/").status_code
    assert got == {"center": 200, "inst_admin": 200, "applicant": 404, "assessor": 404}
    page = logged_in(world.center).get("/supervision/dashboard/").content.decode()
    assert 'href="/supervision/lists/applications/?state=submitted"' in page
    assert "<script" not in page and "style=" not in page


def test_dashboard_upcoming_expiries_link_to_the_filtered_list(world, flow):
    app = flow.to(flow.draft(), S.ISSUED, now=T0)
    certificate = app.certificate
    now = timezone.make_aware(
        timezone.datetime.combine(certificate.expires_on - timedelta(days=20), T0.time())
    )
    upcoming = dashboard_for(world.center, now=now)["upcoming"]
    assert [b.value for b in upcoming[:2]] == [1, 1]
    listed = logged_in(world.center).get(upcoming[0].url).content.decode()
    assert f">{certificate.number}<" in listed


def test_step_medians_from_the_audit_log(world, flow):
    a = flow.to(flow.draft(), S.DOCUMENT_REVIEW, now=T0)
    b = flow.to(flow.draft(world.other_applicant), S.DOCUMENT_REVIEW, now=T0 + timedelta(days=3))
    medians = {bar.label: bar.value for bar in step_medians([a.pk, b.pk], now=T0)}
    assert medians == {"已提交": 0.0}


def test_dashboard_query_count_is_constant_in_rows(world, flow):
    flow.to(flow.draft(), S.ISSUED, now=T0)
    client = logged_in(world.center)
    with CaptureQueriesContext(connection) as one:
        assert client.get("/supervision/dashboard/").status_code == 200
    for applicant in (world.other_applicant, world.assoc_applicant):
        flow.to(flow.draft(applicant, kind="innovation"), S.ISSUED, now=T0)
    flow.to(flow.draft(), S.REPORTED, now=T0)
    with CaptureQueriesContext(connection) as more:
        page = client.get("/supervision/dashboard/").content.decode()
    assert len(more) == len(one)
    assert re.search(r'href="/supervision/lists/certificates/\?status=valid">3<', page)


def test_dashboard_shows_staffing_and_participation_shortfalls_to_the_center(world):
    """R§8, R§12: what the daily checks flagged, each linking to where it is handled."""
    from institutions.models import Assessor, Institution

    Institution.objects.filter(pk=world.local_inst.pk).update(
        staffing_short_since=T0 - timedelta(days=12)
    )
    short = Assessor.objects.filter(institution=world.inst, state="registered")[:2]
    Assessor.objects.filter(pk__in=[a.pk for a in short]).update(participation_short_year=2025)

    data = dashboard_for(world.center, now=T0)
    assert bars(data, "staffing_short") == {
        "广东地方评价机构": (12, f"/institutions/{world.local_inst.pk}/manage/")
    }
    assert bars(data, "participation_short") == {
        "全国评价机构甲": (2, "/institutions/participation/")
    }
    admin = dashboard_for(world.inst_admin, now=T0)
    assert "staffing_short" not in admin and "participation_short" not in admin
    page = logged_in(world.center).get("/supervision/dashboard/")
    assert "广东地方评价机构" in page.text and page.status_code == 200
