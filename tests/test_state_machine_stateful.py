"""A Hypothesis stateful test of the application state machine (issue 9, Fuzzing).

Random transitions (any name of `applications.workflow.STEPS`) by random actors (the applicant,
both institutions' admins and assessors, the center, the experts, another tenant's applicant)
with plausible or bad data, expert opinions, public objections, objection dismissals and the
scheduled jobs, on a clock the machine advances itself. After every step:

- every certificate's application reached `issued` through `issue` after a `confirm`, with no
  `send_back`/`reopen_review` in between, at or after the end of a complete 7-day publicity, and
  with no objection open at the issue time; at most one certificate per application;
- every application's state is the `to` of its last transition audit entry (`reconsider`,
  out of `rejected`, only through an upheld reconsideration case), each transition
  entry starts where the one before ended and is a transition the model declares (no state is
  reached except through its transitions), and matches what the machine expects;
- the audit chain verifies.

Run with `pytest -m slow tests/test_state_machine_stateful.py`.
"""

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from django.conf import settings as django_settings
from django.db import transaction
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from applications import services
from applications.enums import ApplicationState as S
from applications.enums import ObjectionState
from applications.models import Application, Objection
from applications.workflow import STEPS
from certificates.models import Certificate
from ietsportal.audit.models import AuditEntry
from ietsportal.audit.services import audit_chain_verify
from ietsportal.errors import DomainError
from ietsportal.jobs import run_due_jobs

from .conftest import pdf_upload
from .factories import InstitutionFactory, OrganizationFactory, UserFactory, assessor
from .helpers import expert_opinion, report

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PUBLICITY = timedelta(days=django_settings.PUBLICITY_DAYS)

# (source, name) -> target, straight from the model's declared transitions.
TRANSITIONS = {
    (source, t.name): t.target
    for t in Application._meta.get_field("state").get_all_transitions(Application)
    for source in ([t.source] if isinstance(t.source, str) else t.source)
}
ACTORS = [
    "applicant",
    "other_applicant",
    "inst_admin",
    "other_admin",
    "lead",
    "assessor2",
    "assessor3",
    "other_assessor",
    "center",
    "expert1",
    "expert2",
    "expert3",
]
FIELD_NAMES = sorted(
    {f.name for s in STEPS.values() for f in s.fields}
    | {"lead_assessor", "assessors", "experts", "final_grade", "reason", "notes"}
)
ODD_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.text(max_size=12),
    st.sampled_from(
        [
            "IETS-3",
            "IETS-9",
            "-1",
            "100.001",
            "NaN",
            "Infinity",
            "2026-13-01",
            "2099-01-01",
            "expert1",
            "a-assessor1",
            "b-assessor1",
            "applicant",
            "99999999999999999999",
            "",
            " ",
        ]
    ),
    st.lists(st.sampled_from(["expert1", "a-assessor2", "b-assessor1", "x", "0", ""]), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
BAD_DATA = st.dictionaries(st.sampled_from(FIELD_NAMES), ODD_VALUES, max_size=4)


def build_world():
    """The `world` fixture of tests/conftest.py, built inside the example's savepoint."""
    w = SimpleNamespace()
    w.center = UserFactory(center=True, username="center")
    w.experts = [UserFactory(expert=True, username=f"expert{i}") for i in range(1, 4)]
    w.inst = InstitutionFactory(name="全国评价机构甲")
    w.inst_admin = UserFactory(institution_admin=True, institution=w.inst, username="inst-a")
    w.assessors = [assessor(w.inst, username=f"a-assessor{i}") for i in range(1, 4)]
    w.other_inst = InstitutionFactory(name="全国评价机构乙")
    w.other_admin = UserFactory(institution_admin=True, institution=w.other_inst, username="inst-b")
    w.other_assessors = [assessor(w.other_inst, username=f"b-assessor{i}") for i in (1, 2)]
    w.org = OrganizationFactory(name="北京甲科技有限公司")
    w.applicant = UserFactory(organization=w.org, username="applicant")
    w.other_org = OrganizationFactory(name="北京乙科技有限公司")
    w.other_applicant = UserFactory(organization=w.other_org, username="applicant-b")
    return w


class ApplicationMachine(RuleBasedStateMachine):
    # ---- set-up and tear-down: each example in its own savepoint, rolled back at the end

    @initialize(
        kinds=st.lists(st.sampled_from(["grade", "innovation"]), min_size=2, max_size=3),
        complete=st.booleans(),
    )
    def setup_world(self, kinds, complete):
        self.atomic = transaction.atomic()
        self.atomic.__enter__()
        self.now = T0
        self.w = build_world()
        self.actors = {
            "applicant": self.w.applicant,
            "other_applicant": self.w.other_applicant,
            "inst_admin": self.w.inst_admin,
            "other_admin": self.w.other_admin,
            "lead": self.w.assessors[0],
            "assessor2": self.w.assessors[1],
            "assessor3": self.w.assessors[2],
            "other_assessor": self.w.other_assessors[0],
            "center": self.w.center,
            "expert1": self.w.experts[0],
            "expert2": self.w.experts[1],
            "expert3": self.w.experts[2],
        }
        self.apps = []
        for i, kind in enumerate(kinds):
            # The last one may lack its evidence and declarations: it can never be submitted.
            ok = complete or i < len(kinds) - 1
            app = services.application_create(
                actor=self.w.applicant,
                institution_id=self.w.inst.pk,
                kind=kind,
                requested_grade="IETS-3" if kind == "grade" else "",
                declares_independent_legal_person=ok,
                declares_no_violations=ok,
                now=self.now,
            )
            if ok:
                services.evidence_add(
                    application=app, actor=self.w.applicant, upload=pdf_upload(), now=self.now
                )
            self.apps.append(app.pk)
        self.expected = {pk: S.DRAFT for pk in self.apps}
        self.counts = {"ok": 0, "refused": 0}

    def teardown(self):
        atomic = getattr(self, "atomic", None)
        if atomic is not None:
            event(f"certificates issued: {Certificate.objects.count()}")
            event(f"transitions fired: {min(self.counts['ok'], 20) // 5 * 5}+")
            for state in sorted(set(self.expected.values())):
                event(f"state reached: {state}")
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)

    # ---- helpers

    def _app(self, index):
        return Application.objects.get(pk=self.apps[index % len(self.apps)])

    def _right_actor(self, app, name):
        if name in {"submit", "resubmit", "withdraw"}:
            return self.w.applicant
        if name in {"accept", "refuse", "return_to_applicant"}:
            return self.w.inst_admin
        if name in {"finish_document_review", "file_report"}:
            return app.lead_assessor or self.w.assessors[0]
        return self.w.center

    def _good_data(self, app, name, experts):
        grade = "IETS-3" if app.kind == "grade" else ""
        panel = [e.username for e in self.w.experts[: max(1, experts)]]
        return {
            "accept": {"lead_assessor": "a-assessor1", "assessors": ["a-assessor2"]},
            "finish_document_review": {"notes": "材料齐全。"},
            "resubmit": {"note": "已补充。"},
            "file_report": report(app.kind, onsite_visit_on=self.now.date().isoformat()),
            "start_expert_review": {"experts": panel, "pick_reason": "专业对口。"},
            "reopen_review": {
                "reason": "异议成立。",
                "experts": panel,
                "pick_reason": "专业对口。",
            },
            "confirm": {"final_grade": grade},
        }.get(name, {"reason": "理由。"})

    def _fire(self, pk, name, actor, data, *, system=False):
        before = Application.objects.get(pk=pk).state
        try:
            app = services.application_transition(
                application_id=pk, name=name, actor=actor, data=data, now=self.now, system=system
            )
        except DomainError:
            self.counts["refused"] += 1
            return
        assert (before, name) in TRANSITIONS, (before, name)
        assert app.state == TRANSITIONS[(before, name)]
        self.expected[pk] = app.state
        self.counts["ok"] += 1

    # ---- rules

    @rule(
        index=st.integers(0, 2),
        name=st.sampled_from(sorted(STEPS)),
        actor=st.sampled_from(["right", "right", *ACTORS]),
        data_kind=st.sampled_from(["good", "good", "bad", "mixed"]),
        bad=BAD_DATA,
        experts=st.integers(1, 3),
    )
    def fire_transition(self, index, name, actor, data_kind, bad, experts):
        app = self._app(index)
        who = self._right_actor(app, name) if actor == "right" else self.actors[actor]
        good = self._good_data(app, name, experts)
        data = {"good": good, "bad": bad, "mixed": {**good, **bad}}[data_kind]
        self._fire(app.pk, name, who, data)

    @rule(index=st.integers(0, 2), experts=st.integers(1, 3), steps=st.integers(1, 8))
    def advance_main_line(self, index, experts, steps):
        """Up to `steps` steps of the happy path with the right person and data, so the deep
        states (publicity, issued) are reached within a run."""
        for _ in range(steps):
            app = self._app(index)
            name = {
                S.DRAFT: "submit",
                S.RETURNED_TO_APPLICANT: "resubmit",
                S.SUBMITTED: "accept",
                S.DOCUMENT_REVIEW: "finish_document_review",
                S.ONSITE_REVIEW: "file_report",
                S.REPORTED: "start_expert_review",
                S.EXPERT_REVIEW: "confirm",
                S.PUBLICITY: "issue",
            }.get(app.state)
            if name is None:
                return
            if name == "confirm":
                for review in services.current_round_reviews(app):
                    if review.submitted_at is None:
                        expert_opinion(
                            application_id=app.pk,
                            actor=review.expert,
                            opinion="同意。",
                            approves=True,
                            recommended_grade="IETS-3" if app.kind == "grade" else "",
                            now=self.now,
                        )
            data = self._good_data(app, name, experts)
            self._fire(app.pk, name, self._right_actor(app, name), data)

    @rule(
        index=st.integers(0, 2),
        actor=st.sampled_from(ACTORS),
        opinion=st.sampled_from(["同意。", "", "  ", "LONG"]).map(
            lambda s: "x" * 10001 if s == "LONG" else s
        ),
        approves=st.sampled_from([True, False, None, "yes", 1]),
        grade=st.sampled_from(["IETS-3", "IETS-E", "", "IETS-9"]),
    )
    def give_opinion(self, index, actor, opinion, approves, grade):
        app = self._app(index)
        try:
            expert_opinion(
                application_id=app.pk,
                actor=self.actors[actor],
                opinion=opinion,
                approves=approves,
                recommended_grade=grade,
                now=self.now,
            )
        except DomainError:
            self.counts["refused"] += 1

    @rule(
        index=st.integers(0, 2),
        name=st.sampled_from(["张三", "", " "]),
        contact=st.sampled_from(["13800000000", ""]),
        reason=st.sampled_from(["不符合条件。", "", "LONG"]).map(
            lambda s: "y" * 5001 if s == "LONG" else s
        ),
    )
    def file_objection(self, index, name, contact, reason):
        app = self._app(index)
        try:
            services.objection_file(
                application_id=app.pk, name=name, contact=contact, reason=reason, now=self.now
            )
        except DomainError:
            self.counts["refused"] += 1

    @rule(which=st.integers(0, 5), actor=st.sampled_from(["center", "center", *ACTORS]))
    def dismiss_objection(self, which, actor):
        ids = list(Objection.objects.order_by("pk").values_list("pk", flat=True))
        objection_id = ids[which % len(ids)] if ids else 10**6
        try:
            services.objection_dismiss(
                objection_id=objection_id,
                actor=self.actors[actor],
                reason="异议不成立。",
                now=self.now,
            )
        except DomainError:
            self.counts["refused"] += 1

    @rule(
        delta=st.one_of(
            st.integers(0, 3600).map(lambda s: timedelta(seconds=s)),
            st.integers(0, 10).map(lambda d: timedelta(days=d)),
            st.just(PUBLICITY),
            st.just(PUBLICITY),
            st.just(PUBLICITY - timedelta(seconds=1)),
        )
    )
    def advance_clock(self, delta):
        self.now += delta

    @rule()
    def run_jobs(self):
        due = set(
            Application.objects.filter(state=S.PUBLICITY, publicity_ends_at__lte=self.now)
            .exclude(objections__state=ObjectionState.OPEN)
            .values_list("pk", flat=True)
        )
        result = run_due_jobs(now=self.now)
        assert result["issue_after_publicity"] == len(due)
        for pk in due:
            self.expected[pk] = S.ISSUED

    @precondition(lambda self: any(self.expected[pk] == S.PUBLICITY for pk in self.apps))
    @rule(index=st.integers(0, 2))
    def system_issue(self, index):
        """The job's own authority: still only after the publicity and with no open objection."""
        self._fire(self.apps[index % len(self.apps)], "issue", None, {}, system=True)

    @precondition(
        lambda self: any(
            self.expected[pk] in (S.EXPERT_REVIEW, S.PUBLICITY, S.REJECTED) for pk in self.apps
        )
    )
    @rule(index=st.integers(0, 2), upheld=st.booleans(), reject_first=st.booleans())
    def reconsideration(self, index, upheld, reject_first):
        """M§25: the applicant asks for reconsideration (复议); an upheld one reopens a
        rejected result through `reconsider`, the only way out of `rejected`. Rejects the
        application first when asked to, so `rejected` is reached often enough."""
        from supervision import services as supervision

        pk = self.apps[index % len(self.apps)]
        if reject_first:
            self._fire(pk, "reject", self.w.center, {"reason": "未通过。"})
        app = Application.objects.get(pk=pk)
        try:
            case, _ = supervision.case_file(
                actor=self.w.applicant,
                kind="reconsideration",
                subject_kind="application",
                reference=app.number,
                summary="请求复议",
                details="评审未考虑已提交的材料。",
                now=self.now,
            )
            supervision.case_start(case_id=case.pk, actor=self.w.center, now=self.now)
            supervision.case_decide(
                case_id=case.pk,
                actor=self.w.center,
                upheld=upheld,
                reply="复议成立。" if upheld else "复议不成立。",
                actions=["reopen_evaluation"] if upheld else [],
                now=self.now,
            )
        except DomainError:
            self.counts["refused"] += 1
            return
        after = Application.objects.get(pk=pk).state
        # Upheld: `reconsider` out of `rejected`, `reopen_review` during the publicity.
        step = {S.REJECTED: "reconsider", S.PUBLICITY: "reopen_review"}.get(app.state)
        if upheld:
            assert step is not None and after == TRANSITIONS[(app.state, step)], (app.state, after)
            event(f"reconsideration upheld: {step}")
            self.counts["ok"] += 1
        else:
            assert after == app.state
        self.expected[pk] = after

    # ---- invariants

    @invariant()
    def states_only_through_transitions(self):
        for app in Application.objects.filter(pk__in=self.apps):
            entries = AuditEntry.objects.filter(
                object_type="applications.application", object_id=str(app.pk)
            ).order_by("seq")
            state = S.DRAFT
            for entry in entries:
                if "to" not in entry.data:
                    continue
                name = entry.action.removeprefix("application.")
                assert entry.data["from"] == state, (app.number, entry.action, entry.data)
                assert TRANSITIONS[(state, name)] == entry.data["to"], (state, name)
                state = entry.data["to"]
            assert app.state == state
            assert app.state == self.expected[app.pk]

    @invariant()
    def certificates_only_after_confirm_and_full_publicity(self):
        certificates = list(Certificate.objects.all())
        assert len({c.application_id for c in certificates}) == len(certificates)
        for certificate in certificates:
            app = certificate.application
            assert app.state == S.ISSUED
            actions = list(
                AuditEntry.objects.filter(
                    object_type="applications.application", object_id=str(app.pk)
                )
                .order_by("seq")
                .values_list("action", "created_at", "data")
            )
            issues = [
                i for i, (action, _, _) in enumerate(actions) if action == "application.issue"
            ]
            assert len(issues) == 1
            issued_at = actions[issues[0]][1]
            transitions = [a for a in actions[: issues[0]] if "to" in a[2]]
            confirm_action, confirmed_at, _ = transitions[-1]
            assert confirm_action == "application.confirm"
            assert app.publicity_starts_at == confirmed_at
            assert app.publicity_ends_at == confirmed_at + PUBLICITY
            assert app.publicity_ends_at <= issued_at
            assert certificate.status_changed_at == issued_at
            open_at_issue = app.objections.filter(filed_at__lte=issued_at).exclude(
                decided_at__lte=issued_at
            )
            assert list(open_at_issue) == []

    @invariant()
    def audit_chain_intact(self):
        assert audit_chain_verify() is None


ApplicationMachine.TestCase.settings = settings(
    max_examples=35,
    stateful_step_count=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
TestApplicationStateMachine = ApplicationMachine.TestCase
