"""The workspace (/workspace/): each role lands on what needs its action now.

Above the list of every application the user may see (searchable, filterable, sortable,
paginated), the page shows the role's *queues*: the items waiting for this user, oldest first,
each with its next step, its deadline or its age, and a link. Each queue is one query with a
limit (`QUEUE_LIMIT`), so the page's query count does not grow with the number of rows.

Where staff handle many items at once there is a bulk action, posted to the same URL: the
center passes several submitted annual reviews (M§15) and an institution admin relays several
center decisions to their holders (M§20). Each item goes through its own service call, so each
is its own transaction, and each gets its own result message.
"""

from dataclasses import dataclass, field
from datetime import date, datetime
from math import ceil

import django_filters
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.paginator import Paginator
from django.db.models import Count, IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _
from django.views.generic import ListView

from certificates import services as certificate_services
from certificates.enums import AnnualReviewState, ReconsiderationState, RequestState
from certificates.models import (
    AnnualReview,
    Certificate,
    CertificateDecision,
    CertificateRequest,
    Reconsideration,
)
from ietsportal.accounts.enums import Role
from ietsportal.errors import DomainError

from ..enums import ApplicationState as S
from ..enums import EvaluationKind, ObjectionState
from ..models import Application, ExpertReview, Objection

QUEUE_LIMIT = 20
BULK_LIMIT = 100
COUNT_CAP = 10_000  # the list counts at most this many rows (issue #8)

# Whose turn it is in each open state (M§14), shown in the list of applications: to whoever
# is looking, by role (None: everyone else). The party whose turn it is reads "you".
WAITING_ON = {
    S.DRAFT: {
        None: _("The applicant: complete and submit"),
        Role.APPLICANT: _("You: complete and submit"),
    },
    S.RETURNED_TO_APPLICANT: {
        None: _("The applicant: add material and resubmit"),
        Role.APPLICANT: _("You: add material and resubmit"),
    },
    S.SUBMITTED: {
        None: _("The institution: accept or refuse"),
        Role.INSTITUTION_ADMIN: _("You: accept or refuse"),
    },
    S.DOCUMENT_REVIEW: {
        None: _("The assessors: document review"),
        Role.ASSESSOR: _("You and your team: document review"),
        Role.INSTITUTION_ADMIN: _("Your assessors: document review"),
    },
    S.ONSITE_REVIEW: {
        None: _("The assessors: on-site review and report"),
        Role.ASSESSOR: _("You and your team: on-site review and report"),
        Role.INSTITUTION_ADMIN: _("Your assessors: on-site review and report"),
    },
    S.REPORTED: {
        None: _("The evaluation center: expert panel"),
        Role.CENTER_STAFF: _("You: draw the expert panel"),
    },
    S.EXPERT_REVIEW: {
        None: _("The experts and the evaluation center"),
        Role.EXPERT: _("You and the other experts, then the evaluation center"),
        Role.CENTER_STAFF: _("The experts, then you: confirm the result"),
    },
    S.PUBLICITY: {None: _("Publicity: objections may be filed")},
}


def waiting_on(state: str, role: str) -> str:
    """Whose turn it is in `state`, as someone of `role` reads it ("" in a closed state)."""
    texts = WAITING_ON.get(state)
    return texts.get(role, texts[None]) if texts else ""


@dataclass
class WorkItem:
    """One thing waiting for the user: what, its next step, since when, until when."""

    title: str
    url: str
    step: str
    since: datetime | None = None
    due: date | datetime | None = None
    detail: str = ""
    pk: int | None = None  # the id a bulk action takes

    @property
    def overdue(self) -> bool:
        if self.due is None:
            return False
        if isinstance(self.due, datetime):
            return self.due < timezone.now()
        return self.due < timezone.localdate()


@dataclass
class Queue:
    key: str
    title: str
    help: str
    items: list = field(default_factory=list)
    more: bool = False
    bulk: str = ""  # the bulk action's name, when there is one
    bulk_label: str = ""


def _queue(key, title, help_text, rows, to_item, **bulk) -> Queue:
    rows = list(rows[: QUEUE_LIMIT + 1])
    return Queue(
        key=key,
        title=title,
        help=help_text,
        items=[to_item(row) for row in rows[:QUEUE_LIMIT]],
        more=len(rows) > QUEUE_LIMIT,
        **bulk,
    )


def _app_url(app, anchor=""):
    return reverse("applications:application-detail", args=[app.pk]) + anchor


def _cert_url(number):
    return reverse("certificate-detail", args=[number])


def _app_title(app):
    return f"{app.number} · {app.organization.name}"


def applicant_queues(user):
    apps = Application.objects.for_user(user).select_related("organization")
    steps = {
        S.DRAFT: _("Complete the draft and submit it"),
        S.RETURNED_TO_APPLICANT: _("Add the requested material and resubmit"),
    }
    reviews = AnnualReview.objects.filter(
        certificate__organization_id=user.organization_id,
        state__in=[AnnualReviewState.DUE, AnnualReviewState.OVERDUE],
    ).select_related("certificate")
    return [
        _queue(
            "next-steps",
            _("Your next steps"),
            _("Applications that wait for you."),
            apps.filter(state__in=steps).order_by("updated_at", "id"),
            lambda a: WorkItem(
                _app_title(a), _app_url(a), steps[a.state], since=a.updated_at, pk=a.pk
            ),
        ),
        _queue(
            "annual-reviews",
            _("Annual reviews to submit"),
            _(
                "Submit each year's materials by the deadline, or the certificate is revoked "
                "(M§17)."
            ),
            reviews.order_by("deadline", "id"),
            lambda r: WorkItem(
                r.certificate.number,
                _cert_url(r.certificate.number),
                _("Submit the annual review materials")
                if r.state == AnnualReviewState.DUE
                else _("Overdue: contact your institution"),
                due=r.deadline,
                detail=_g("Year %(year)s") % {"year": r.year},
            ),
        ),
    ]


def institution_admin_queues(user):
    apps = Application.objects.for_user(user).select_related("organization")
    inst = user.institution_id
    return [
        _queue(
            "to-accept",
            _("To accept and assign assessors"),
            _(
                "Submitted applications: accept them with a lead and at least one more assessor, "
                "return them for more material, or refuse them."
            ),
            apps.filter(state=S.SUBMITTED).order_by("submitted_at", "id"),
            lambda a: WorkItem(
                _app_title(a),
                _app_url(a, "#step-accept"),
                _("Accept and assign assessors"),
                since=a.submitted_at,
            ),
        ),
        _queue(
            "in-review",
            _("Under review by your assessors"),
            _("Document and on-site reviews in progress; the report goes to the center."),
            apps.filter(state__in=[S.DOCUMENT_REVIEW, S.ONSITE_REVIEW])
            .select_related("lead_assessor")
            .order_by("accepted_at", "id"),
            lambda a: WorkItem(
                _app_title(a),
                _app_url(a),
                a.get_state_display(),
                since=a.accepted_at,
                due=a.onsite_visit_on,
                detail=str(a.lead_assessor or ""),
            ),
        ),
        _queue(
            "decisions-to-relay",
            _("Decisions to relay"),
            _(
                "The center's decisions on certificates you evaluated: relay each to its holder "
                "(M§20)."
            ),
            CertificateDecision.objects.filter(certificate__institution_id=inst, relayed_at=None)
            .select_related("certificate__organization")
            .order_by("decided_at", "id"),
            lambda d: WorkItem(
                f"{d.certificate.number} · {d.certificate.organization.name}",
                _cert_url(d.certificate.number),
                _g("Relay: %(decision)s") % {"decision": d.get_kind_display()},
                since=d.decided_at,
                pk=d.pk,
            ),
            bulk="relay_decisions",
            bulk_label=_("Relay the selected decisions to their holders"),
        ),
        _queue(
            "requests-to-verify",
            _("Certificate requests to verify"),
            _("Changes and replacement copies asked for by holders (M§21–22)."),
            CertificateRequest.objects.filter(
                certificate__institution_id=inst, state=RequestState.FILED
            )
            .select_related("certificate__organization")
            .order_by("filed_at", "id"),
            lambda r: WorkItem(
                f"{r.certificate.number} · {r.certificate.organization.name}",
                _cert_url(r.certificate.number),
                r.get_kind_display(),
                since=r.filed_at,
            ),
        ),
        _queue(
            "reconsiderations-to-forward",
            _("Reconsideration requests to forward"),
            _("Holders ask the center to reconsider a decision through you (M§20)."),
            Reconsideration.objects.filter(
                decision__certificate__institution_id=inst, state=ReconsiderationState.FILED
            )
            .select_related("decision__certificate__organization")
            .order_by("filed_at", "id"),
            lambda r: WorkItem(
                f"{r.decision.certificate.number} · {r.decision.certificate.organization.name}",
                _cert_url(r.decision.certificate.number),
                _("Forward to the evaluation center"),
                since=r.filed_at,
            ),
        ),
    ]


def assessor_queues(user):
    apps = Application.objects.for_user(user).select_related("organization")
    steps = {
        S.DOCUMENT_REVIEW: (_("Finish the document review"), "#step-finish_document_review"),
        S.ONSITE_REVIEW: (_("Record the on-site review and file the report"), "#step-file_report"),
    }
    return [
        _queue(
            "assignments",
            _("Your assignments"),
            _("Applications your institution assigned to you, the on-site visit date as deadline."),
            apps.filter(state__in=steps).order_by("accepted_at", "id"),
            lambda a: WorkItem(
                _app_title(a),
                _app_url(a, steps[a.state][1]),
                steps[a.state][0],
                since=a.accepted_at,
                due=a.onsite_visit_on,
            ),
        )
    ]


def expert_queues(user):
    reviews = ExpertReview.objects.filter(
        expert=user, submitted_at=None, application__state=S.EXPERT_REVIEW
    ).select_related("application__organization")
    return [
        _queue(
            "opinions",
            _("Reviews awaiting your opinion"),
            _(
                "Declare that you have no conflict of interest, then give your opinion "
                "independently (M§14(3))."
            ),
            reviews.order_by("assigned_at", "id"),
            lambda r: WorkItem(
                _app_title(r.application),
                _app_url(r.application, "#opinion"),
                _("Give your opinion"),
                since=r.assigned_at,
            ),
        )
    ]


def _review_count(**conditions):
    reviews = (
        ExpertReview.objects.filter(application=OuterRef("pk"), **conditions)
        .order_by()
        .values("application")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(reviews, output_field=IntegerField()), 0)


def center_queues(user):
    apps = Application.objects.select_related("organization", "institution")
    now = timezone.now()
    return [
        _queue(
            "to-expert-review",
            _("Reports to send to expert review"),
            _("Draw an expert panel for each filed report (M§14(3))."),
            apps.filter(state=S.REPORTED).order_by("updated_at", "id"),
            lambda a: WorkItem(
                _app_title(a),
                _app_url(a, "#step-start_expert_review"),
                _("Draw the expert panel"),
                since=a.updated_at,
                detail=a.institution.name,
            ),
        ),
        _queue(
            "to-confirm",
            _("Expert reviews to conclude"),
            _("Confirm the result once every opinion is in, send it back, or reject it."),
            # counted per row by subqueries, not a GROUP BY over every application in expert
            # review: the queue is read in index order and stops at its limit (issue #8)
            apps.filter(state=S.EXPERT_REVIEW)
            .annotate(
                opinions_in=_review_count(submitted_at__isnull=False),
                panel=_review_count(),
            )
            .order_by("updated_at", "id"),
            lambda a: WorkItem(
                _app_title(a),
                _app_url(a, "#step-confirm"),
                _("Conclude the expert review"),
                since=a.updated_at,
                detail=_g("%(done)s of %(total)s opinions in")
                % {"done": a.opinions_in, "total": a.panel},
            ),
        ),
        _queue(
            "objections",
            _("Objections to decide"),
            _(
                "Objections from the public to results in publicity (M§14(4)); the certificate "
                "waits while one is open."
            ),
            Objection.objects.filter(state=ObjectionState.OPEN)
            .select_related("application__organization")
            .order_by("filed_at", "id"),
            lambda o: WorkItem(
                _app_title(o.application),
                _app_url(o.application, "#objections"),
                _("Uphold or dismiss the objection"),
                since=o.filed_at,
                due=o.application.publicity_ends_at,
                detail=o.name,
            ),
        ),
        _queue(
            "publicity",
            _("In publicity"),
            _("Issued automatically when the 7 days end with no open objection."),
            apps.filter(state=S.PUBLICITY, publicity_ends_at__gt=now).order_by(
                "publicity_ends_at", "id"
            ),
            lambda a: WorkItem(
                _app_title(a),
                _app_url(a),
                _("Publicity ends"),
                since=a.publicity_starts_at,
                due=a.publicity_ends_at,
            ),
        ),
        _queue(
            "annual-reviews",
            _("Annual reviews to decide"),
            _(
                "Submitted annual materials (M§15): pass them here, several at once, or open one "
                "to fail it with a reason (a failed review revokes the certificate, M§17)."
            ),
            AnnualReview.objects.filter(state=AnnualReviewState.SUBMITTED)
            .select_related("certificate__organization")
            .order_by("submitted_at", "id"),
            lambda r: WorkItem(
                f"{r.certificate.number} · {r.certificate.organization.name}",
                _cert_url(r.certificate.number),
                _g("Decide the review of year %(year)s") % {"year": r.year},
                since=r.submitted_at,
                due=r.deadline,
                pk=r.pk,
            ),
            bulk="pass_annual_reviews",
            bulk_label=_("Pass the selected annual reviews"),
        ),
        _queue(
            "requests",
            _("Certificate requests to decide"),
            _("Changes and replacement copies verified by the institution (M§21–22)."),
            CertificateRequest.objects.filter(state=RequestState.VERIFIED)
            .select_related("certificate__organization")
            .order_by("verified_at", "id"),
            lambda r: WorkItem(
                f"{r.certificate.number} · {r.certificate.organization.name}",
                _cert_url(r.certificate.number),
                r.get_kind_display(),
                since=r.verified_at,
            ),
        ),
        _queue(
            "reconsiderations",
            _("Reconsideration requests to decide"),
            _("Forwarded by the institutions (M§20)."),
            Reconsideration.objects.filter(state=ReconsiderationState.FORWARDED)
            .select_related("decision__certificate__organization")
            .order_by("forwarded_at", "id"),
            lambda r: WorkItem(
                f"{r.decision.certificate.number} · {r.decision.certificate.organization.name}",
                _cert_url(r.decision.certificate.number),
                _("Uphold or dismiss the request"),
                since=r.forwarded_at,
            ),
        ),
    ]


def queues_for(user) -> list[Queue]:
    if user.is_center_staff:
        return center_queues(user)
    if user.is_applicant:
        return applicant_queues(user)
    if user.is_institution_admin:
        return institution_admin_queues(user)
    if user.is_assessor:
        return assessor_queues(user)
    if user.is_expert:
        return expert_queues(user)
    return []


class ApplicationFilter(django_filters.FilterSet):
    """Search, filters and sorting of the workspace's list of applications."""

    q = django_filters.CharFilter(
        method="search", label=_("Search"), help_text=_("Number, organisation name or USCC")
    )
    state = django_filters.ChoiceFilter(
        choices=S.choices, label=_("State"), empty_label=_("All states")
    )
    kind = django_filters.ChoiceFilter(
        choices=EvaluationKind.choices, label=_("Kind"), empty_label=_("All kinds")
    )
    sort = django_filters.OrderingFilter(
        fields=(("updated_at", "updated_at"), ("number", "number"), ("state", "state")),
        field_labels={
            "updated_at": _("Last change"),
            "number": _("Number"),
            "state": _("State"),
        },
        label=_("Sort by"),
        empty_label=_("Last change, newest first"),
    )

    class Meta:
        model = Application
        fields = ["q", "state", "kind"]

    def search(self, queryset, name, value):
        value = value.strip()[:100]
        if not value:
            return queryset
        return queryset.filter(
            Q(number__icontains=value)
            | Q(organization__name__icontains=value)
            | Q(organization__uscc__icontains=value.upper())
        )


BULK_ACTIONS = {
    # name: (who may, one item's service call returning its certificate, success message)
    "pass_annual_reviews": (
        lambda user: user.is_center_staff,
        lambda user, pk, now, note: (
            certificate_services.annual_review_decide(
                review_id=pk, actor=user, passed=True, note=note, now=now
            ).certificate
        ),
        _("Annual review of %(certificate)s passed."),
    ),
    "relay_decisions": (
        lambda user: user.is_institution_admin,
        lambda user, pk, now, note: (
            certificate_services.certificate_decision_relay(
                decision_id=pk, actor=user, now=now
            ).certificate
        ),
        _("Decision on %(certificate)s relayed to its holder."),
    ),
}


class AtLeast(int):
    """A number known only to be at least this much: shown as "400+"."""

    def __str__(self) -> str:
        return f"{int(self)}+"


class CappedPaginator(Paginator):
    """Counts at most `COUNT_CAP` rows (issue #8): the center sees every application, and an
    exact COUNT over a million rows costs more than the whole page. Past the cap the page count
    shows as "400+" and the pages beyond it are not offered (no OFFSET of a million rows)."""

    cap = COUNT_CAP

    @cached_property
    def count(self):
        n = self.object_list[: self.cap + 1].count()
        self.capped = n > self.cap
        return min(n, self.cap)

    @cached_property
    def num_pages(self):
        if self.count == 0 and not self.allow_empty_first_page:
            return 0
        pages = ceil(max(1, self.count - self.orphans) / self.per_page)
        return AtLeast(pages) if self.capped else pages


class WorkspaceView(LoginRequiredMixin, ListView):
    """Each role lands on its own work: its queues, then every application it may see."""

    template_name = "applications/workspace.html"
    context_object_name = "applications"
    paginate_by = 25
    paginator_class = CappedPaginator

    def get_queryset(self):
        qs = (
            Application.objects.for_user(self.request.user)
            .select_related("organization", "institution")
            .order_by("-updated_at", "-id")
        )
        self.filterset = ApplicationFilter(self.request.GET or None, queryset=qs)
        return self.filterset.qs if self.filterset.is_bound else qs

    def get_context_data(self, **kwargs):
        user = self.request.user
        context = super().get_context_data(**kwargs)
        queues = queues_for(user)
        for app in context["applications"]:
            app.waiting_on = waiting_on(app.state, user.role)
        context.update(
            filter=self.filterset,
            filtered=any(self.request.GET.get(name) for name in ApplicationFilter.base_filters),
            queues=queues,
            waiting=sum(len(q.items) for q in queues),
            empty_queues=[q for q in queues if not q.items],
            today=timezone.localdate(),
            certificates=self.certificates(user),
        )
        return context

    def certificates(self, user):
        """The certificates in scope, with their next annual review's deadline (M§15)."""
        if not (user.is_applicant or user.is_institution_admin):
            return []
        next_review = AnnualReview.objects.filter(
            certificate=OuterRef("pk"),
            state__in=[AnnualReviewState.DUE, AnnualReviewState.OVERDUE],
        ).order_by("deadline")
        return list(
            Certificate.objects.for_user(user)
            .select_related("organization")
            .annotate(review_deadline=Subquery(next_review.values("deadline")[:1]))
            .order_by("expires_on", "id")[:QUEUE_LIMIT]
        )

    def post(self, request):
        """A bulk action: each selected item through its own service call (and transaction)."""
        action = BULK_ACTIONS.get(request.POST.get("action", ""))
        if action is None or not action[0](request.user):
            return HttpResponseBadRequest(_g("Unknown action."))
        _may, run, success = action
        ids = []
        for raw in request.POST.getlist("ids")[:BULK_LIMIT]:
            if raw.isdigit():
                ids.append(int(raw))
        if not ids:
            messages.error(request, _g("Select at least one item."))
            return redirect("workspace")
        note = request.POST.get("note", "")
        now = timezone.now()
        for pk in ids:
            try:
                certificate = run(request.user, pk, now, note)
            except DomainError as exc:
                messages.error(
                    request, _g("Item %(id)s: %(error)s") % {"id": pk, "error": exc.message}
                )
            else:
                messages.success(request, success % {"certificate": certificate.number})
        return redirect("workspace")
