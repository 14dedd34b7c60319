"""M§5 in headless Chromium: a candidate scores and completes a self-evaluation through the
form, a buyer creates a selection project and invites it by USCC, the candidate accepts and
shares the run, the buyer sees it ranked. axe-core finds no serious or critical violation on
any of these pages, in zh-CN and in English; screenshots go to artifacts/screenshots/."""

import pytest
from playwright.sync_api import expect

from applications.enums import ApplicationState as S
from rubrics.models import Rubric
from tests.e2e import conftest as e2e_fixtures
from tests.e2e.test_accessibility import Person, axe_script, blocking_violations

# The e2e fixtures live in tests/e2e/conftest.py; this module uses them as its own.
chromium = e2e_fixtures.chromium
screenshot_dir = e2e_fixtures.screenshot_dir

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_self_evaluation_and_selection_journey_in_the_browser(
    chromium, live_server, world, flow, screenshot_dir
):
    axe = axe_script()
    from django.utils import timezone

    now = timezone.now()
    flow.to(flow.draft(world.other_applicant, now=now), S.ISSUED, now=now)
    rubric = Rubric.objects.current("grade")
    found = []

    def check(person, name):
        found.extend(f"{name}: {line}" for line in blocking_violations(person.page, axe))
        person.page.screenshot(path=str(screenshot_dir / f"selection-{name}.png"), full_page=True)

    # The candidate (乙) scores every criterion at 80 % through the form and completes the run.
    cand = Person(chromium, live_server.url, "zh-CN", world.other_applicant.username)
    page = cand.page
    page.goto("/self-evaluations/")
    page.locator("input[name=kind][value=grade]").check()
    page.locator("input[name=title]").fill("年度自评")
    page.locator("main form button[type=submit]").click()
    expect(page.locator("h1")).to_contain_text("年度自评")
    for criterion in rubric.criteria.all():
        page.locator(f"#score-{criterion.code}").fill(str(criterion.max_score * 8 / 10))
    page.locator("#note-B1").fill("营业执照、成立时间齐全。")
    page.get_by_role("button", name="保存得分").click()
    expect(page.locator(".message.success")).to_be_visible()
    check(cand, "self-evaluation-draft")
    page.get_by_role("button", name="完成", exact=True).click()
    expect(page.locator("h1 .badge")).to_have_text("已完成")
    page.goto("/self-evaluations/")
    expect(page.locator("svg.chart circle")).to_have_count(1)
    check(cand, "self-evaluations")

    # The buyer (甲) creates a project with its weights and invites 乙 by its USCC.
    buyer = Person(chromium, live_server.url, "en", world.applicant.username)
    bpage = buyer.page
    bpage.goto("/selections/")
    bpage.locator("input[name=title]").fill("Operations contract")
    for area, weight in (("basic", 10), ("technical", 40), ("service", 30), ("operational", 10)):
        bpage.locator(f"input[name=weight_{area}]").fill(str(weight))
    bpage.locator("main form button[type=submit]").click()
    expect(bpage.locator("[role=alert]").first).to_contain_text("they add up to 90")
    bpage.locator("input[name=weight_operational]").fill("20")
    bpage.locator("select[name=min_grade]").select_option("IETS-4")
    bpage.locator("main form button[type=submit]").click()
    expect(bpage.locator("h1")).to_contain_text("Operations contract")
    bpage.locator("input[name=uscc]").fill(world.other_org.uscc)
    bpage.get_by_role("button", name="Invite", exact=True).click()
    expect(bpage.locator("table")).to_contain_text(world.other_org.name)

    # The candidate accepts and shares its completed run.
    page.goto("/selections/")
    page.get_by_role("link", name="Operations contract").click()
    check(cand, "invitation")
    page.locator("input[name=answer][value=accept]").check()
    page.locator("input[name=sharing][value=self_evaluation]").check()
    page.locator("select[name=self_evaluation]").select_option(index=1)
    page.get_by_role("button", name="提交答复").click()
    expect(page.locator(".message.success")).to_be_visible()

    # The buyer sees 乙 ranked by its shared scores: 80.00 weighted, the requirement met.
    bpage.reload()
    row = bpage.locator("tbody tr").first
    expect(row).to_contain_text("80.00")
    expect(row).to_contain_text("weighted shared scores")
    expect(row.locator(".check-ok")).to_have_count(1)
    check(buyer, "comparison")
    bpage.goto("/selections/")
    check(buyer, "selections")
    cand.context.close()
    buyer.context.close()
    assert found == [], "axe found serious or critical violations:\n" + "\n".join(found)
