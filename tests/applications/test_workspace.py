"""The workspace (/workspace/): each role's queues of what needs its action now, the search,
filters and sorting of the list of applications, and the bulk actions of the staff."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from applications import services
from applications.enums import ApplicationState as S
from certificates.enums import AnnualReviewState as R
from certificates.enums import DecisionKind
from certificates.models import AnnualReview, CertificateDecision
from certificates.services import annual_review_submit, certificate_decide
from tests.certificates.test_annual_review import at, certificate_of, due_review


def queues(client) -> dict[str, list[str]]:
    response = client.get("/workspace/")
    assert response.status_code == 200
    return {q.key: [item.title for item in q.items] for q in response.context["queues"]}


def post(client, data, url="/workspace/") -> list[tuple[str, str]]:
    """POST, follow the redirect, and return the messages the page then shows."""
    response = client.post(url, data, follow=True)
    assert response.redirect_chain == [(url, 302)]
    return [(m.level_tag, str(m)) for m in response.context["messages"]]


def login(client, user):
    client.force_login(user)
    return client


def test_workspace_queues_show_each_role_its_next_work(client, world, flow):
    now = timezone.now()
    draft = flow.draft(now=now)
    submitted = flow.to(flow.draft(world.other_applicant, now=now), S.SUBMITTED, now=now)
    onsite = flow.to(flow.draft(world.other_applicant, now=now), S.ONSITE_REVIEW, now=now)
    reported = flow.to(flow.draft(world.other_applicant, now=now), S.REPORTED, now=now)
    expert_review = flow.to(flow.draft(world.other_applicant, now=now), S.EXPERT_REVIEW, now=now)

    def title(app):
        return f"{app.number} · {app.organization.name}"

    assert queues(login(client, world.applicant)) == {
        "next-steps": [title(draft)],
        "annual-reviews": [],
    }
    assert queues(login(client, world.inst_admin)) == {
        "to-accept": [title(submitted)],
        "in-review": [title(onsite)],
        "decisions-to-relay": [],
        "requests-to-verify": [],
        "reconsiderations-to-forward": [],
    }
    # The flow gives each application to assessors[0] as lead and assessors[1].
    assert queues(login(client, world.assessors[0])) == {"assignments": [title(onsite)]}
    assert queues(login(client, world.assessors[2])) == {"assignments": []}
    assert queues(login(client, world.experts[0])) == {"opinions": [title(expert_review)]}
    center = queues(login(client, world.center))
    assert center["to-expert-review"] == [title(reported)]
    assert center["to-confirm"] == [title(expert_review)]
    assert center["objections"] == center["publicity"] == center["annual-reviews"] == []


def test_workspace_items_carry_step_age_deadline_and_link(client, world, flow):
    now = timezone.now()
    publicity = flow.to(flow.draft(now=now - timedelta(days=2)), S.PUBLICITY, now=now)
    services.objection_file(
        application_id=publicity.pk, name="张三", contact="13800000000", reason="不实。", now=now
    )
    response = login(client, world.center).get("/workspace/")
    by_key = {q.key: q for q in response.context["queues"]}
    (objection,) = by_key["objections"].items
    assert objection.url == f"/applications/{publicity.pk}/#objections"
    assert objection.due == publicity.publicity_ends_at and not objection.overdue
    assert objection.since is not None and objection.detail == "张三"
    (entry,) = by_key["publicity"].items
    assert entry.due == publicity.publicity_ends_at
    html = response.content.decode()
    assert f'href="/applications/{publicity.pk}/#objections"' in html
    assert (
        publicity.publicity_ends_at.astimezone(timezone.get_current_timezone()).strftime("%Y-%m-%d")
        in html
    )


def test_workspace_applicant_sees_annual_reviews_and_certificate_deadlines(client, world):
    review = due_review(world)
    response = login(client, world.applicant).get("/workspace/")
    by_key = {q.key: q for q in response.context["queues"]}
    (item,) = by_key["annual-reviews"].items
    assert item.title == review.certificate.number and item.due == review.deadline
    (certificate,) = response.context["certificates"]
    assert certificate.review_deadline == review.deadline
    assert review.deadline.isoformat() in response.content.decode()


def test_workspace_search_filter_and_sort(client, world, flow):
    now = timezone.now()
    mine = flow.draft(now=now)
    other = flow.to(flow.draft(world.other_applicant, now=now), S.SUBMITTED, now=now)
    login(client, world.center)

    def numbers(query):
        response = client.get(f"/workspace/{query}")
        assert response.status_code == 200
        return [a.number for a in response.context["applications"]]

    assert numbers("") == [other.number, mine.number]
    assert numbers("?q=北京乙") == [other.number]
    assert numbers(f"?q={mine.organization.uscc.lower()}") == [mine.number]
    assert numbers(f"?q={mine.number}") == [mine.number]
    assert numbers("?state=draft") == [mine.number]
    assert numbers("?state=submitted&q=北京甲") == []
    assert numbers("?sort=number") == sorted([mine.number, other.number])
    assert numbers("?sort=-number") == sorted([mine.number, other.number], reverse=True)
    # Nonsense in the filters is ignored or refused quietly, never a 500.
    assert numbers("?state=nonsense&sort=password&kind=x") in ([], [other.number, mine.number])
    assert "没有符合筛选条件的申请。" in client.get("/workspace/?q=无此").content.decode()


def test_workspace_pagination_keeps_the_filters(client, world, flow, settings):
    now = timezone.now()
    for _ in range(26):
        flow.draft(now=now, evidence=False)
    response = login(client, world.applicant).get("/workspace/?state=draft&sort=number")
    assert response.context["paginator"].count == 26
    assert 'href="?state=draft&amp;sort=number&amp;page=2"' in response.content.decode()
    page2 = client.get("/workspace/?state=draft&sort=number&page=2")
    assert len(page2.context["applications"]) == 1


def submitted_reviews(world, n):
    reviews = []
    for _ in range(n):
        review = due_review(world)
        reviews.append(
            annual_review_submit(
                review_id=review.pk,
                actor=world.applicant,
                materials="年度材料。",
                now=at(review.due_on - timedelta(days=1)),
            )
        )
    return reviews


def test_center_passes_many_annual_reviews_at_once_each_with_its_message(client, world):
    first, second, third = submitted_reviews(world, 3)
    login(client, world.center)
    shown = post(
        client,
        {
            "action": "pass_annual_reviews",
            "ids": [first.pk, second.pk, "999999", "x"],
            "note": "材料齐全，通过。",
        },
    )
    assert shown == [
        ("success", f"{first.certificate.number} 的年度审查已通过。"),
        ("success", f"{second.certificate.number} 的年度审查已通过。"),
        ("error", "第 999999 项：未找到。"),
    ]
    assert dict(AnnualReview.objects.values_list("pk", "state")) == {
        first.pk: R.PASSED,
        second.pk: R.PASSED,
        third.pk: R.SUBMITTED,
    }
    # Without a note, the service refuses each item and nothing changes.
    assert post(client, {"action": "pass_annual_reviews", "ids": [third.pk]}) == [
        ("error", f"第 {third.pk} 项：请填写理由。")
    ]
    assert AnnualReview.objects.get(pk=third.pk).state == R.SUBMITTED


def test_institution_admin_relays_many_decisions_at_once(client, world):
    certificates = [certificate_of(world) for _ in range(2)]
    now = timezone.now()
    for certificate in certificates:
        certificate_decide(
            number=certificate.number,
            actor=world.center,
            kind=DecisionKind.SUSPEND,
            grounds="noncompliant",
            explanation="经核实，不符合相关规定。",
            now=now,
        )
    decisions = list(CertificateDecision.objects.order_by("pk"))
    assert [i.pk for i in queues_of(client, world.inst_admin)["decisions-to-relay"]] == [
        d.pk for d in decisions
    ]
    assert post(client, {"action": "relay_decisions", "ids": [d.pk for d in decisions]}) == [
        ("success", f"{c.number} 的决定已转达持证组织。") for c in certificates
    ]
    assert CertificateDecision.objects.filter(relayed_at=None).count() == 0
    # Another institution's admin cannot relay them (404 from the service, per item).
    login(client, world.other_admin)
    assert post(client, {"action": "relay_decisions", "ids": [decisions[0].pk]}) == [
        ("error", f"第 {decisions[0].pk} 项：未找到。")
    ]


def queues_of(client, user):
    response = login(client, user).get("/workspace/")
    return {q.key: q.items for q in response.context["queues"]}


@pytest.mark.parametrize(
    ("who", "action"),
    [
        ("applicant", "pass_annual_reviews"),
        ("inst_admin", "pass_annual_reviews"),
        ("center", "relay_decisions"),
        ("center", "delete_everything"),
    ],
)
def test_bulk_action_not_open_to_the_role_is_refused(client, world, who, action):
    review = submitted_reviews(world, 1)[0]
    user = {"applicant": world.applicant, "inst_admin": world.inst_admin, "center": world.center}
    response = login(client, user[who]).post(
        "/workspace/", {"action": action, "ids": [review.pk], "note": "x"}
    )
    assert response.status_code == 400
    assert AnnualReview.objects.get(pk=review.pk).state == R.SUBMITTED


def test_bulk_action_without_a_selection_says_so(client, world):
    login(client, world.center)
    shown = post(client, {"action": "pass_annual_reviews", "note": "通过"})
    assert shown == [("error", "请至少选择一项。")]


def test_workspace_queue_query_count_does_not_grow_with_rows(client, world):
    def count(user):
        login(client, user).get("/workspace/")
        with CaptureQueriesContext(connection) as ctx:
            client.get("/workspace/")
        return len(ctx.captured_queries)

    def add(n):
        submitted_reviews(world, n)  # a certificate each, so the applicant's list grows too
        for _ in range(n):
            certificate_decide(
                number=certificate_of(world).number,
                actor=world.center,
                kind=DecisionKind.SUSPEND,
                grounds="noncompliant",
                explanation="经核实，不符合相关规定。",
                now=timezone.now(),
            )

    people = (world.center, world.inst_admin, world.applicant)
    add(1)
    one = [count(user) for user in people]
    add(4)
    assert len(queues_of(client, world.center)["annual-reviews"]) == 5
    assert len(queues_of(client, world.inst_admin)["decisions-to-relay"]) == 5
    response = login(client, world.applicant).get("/workspace/")
    assert len(response.context["certificates"]) == 10
    assert [count(user) for user in people] == one


def test_workspace_list_says_whose_turn_it_is(client, world, flow):
    now = timezone.now()
    flow.to(flow.draft(now=now), S.SUBMITTED, now=now)
    issued_or_publicity = flow.to(flow.draft(now=now), S.PUBLICITY, now=now)
    html = login(client, world.applicant).get("/workspace/").content.decode()
    assert "评价机构：受理或不予受理" in html
    assert "公示中：可提出异议" in html
    ends = timezone.localtime(issued_or_publicity.publicity_ends_at).strftime("%Y-%m-%d")
    assert f'(截至 <time datetime="{ends}T' in html


def test_workspace_list_says_you_to_the_party_whose_turn_it_is(client, world, flow):
    now = timezone.now()
    flow.draft(now=now)
    flow.to(flow.draft(now=now), S.SUBMITTED, now=now)

    def turns(user):
        client.force_login(user)
        html = client.get("/workspace/").content.decode()
        client.logout()
        return [text for text in TURNS if text in html]

    TURNS = [
        "申请组织：完善并提交",
        "您：完善并提交",
        "评价机构：受理或不予受理",
        "您：受理或不予受理",
    ]
    assert turns(world.applicant) == ["您：完善并提交", "评价机构：受理或不予受理"]
    assert turns(world.inst_admin) == ["您：受理或不予受理"]  # the draft is not the institution's
    assert turns(world.center) == ["申请组织：完善并提交", "评价机构：受理或不予受理"]


def test_workspace_list_counts_at_most_its_cap(world, monkeypatch):
    """Issue #8: no exact COUNT over a million applications; past the cap the page count
    reads "N+" and the pages beyond it are not offered."""
    from django.core.paginator import EmptyPage

    from applications.views.workspace import CappedPaginator
    from ietsportal.accounts.models import User

    users = User.objects.order_by("pk")
    total = users.count()
    assert total > 2
    assert CappedPaginator(users, 1).count == total
    assert str(CappedPaginator(users, 1).num_pages) == str(total)
    monkeypatch.setattr(CappedPaginator, "cap", 2)
    capped = CappedPaginator(users, 1)
    assert capped.count == 2
    assert capped.num_pages == 2
    assert str(capped.num_pages) == "2+"
    assert capped.page(2).has_next() is False
    with pytest.raises(EmptyPage):
        capped.page(3)


def test_an_institution_below_the_staffing_bar_is_told_on_its_workspace(client, world, t0):
    """R§8: the admin sees at once why nothing new can be accepted, and where to act."""
    from institutions.models import Institution

    client.force_login(world.inst_admin)
    banner = "自 2026-03-02 起评价人员不满足要求"
    assert banner not in client.get("/workspace/").text
    Institution.objects.filter(pk=world.inst.pk).update(staffing_short_since=t0)
    page = client.get("/workspace/").text
    assert banner in page
    assert f'href="/institutions/{world.inst.pk}/manage/"' in page
