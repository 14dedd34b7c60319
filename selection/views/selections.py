"""Supplier-selection pages (M§5): the buyer's projects and comparison, a candidate's
invitation. The buyer reads through `SelectionProject.for_user`, the candidate through
`Candidate.for_user`: neither reaches the other's side."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from applications.enums import CapabilityArea
from ietsportal.errors import DomainError, NotFound
from ietsportal.views import TenantScopedMixin

from .. import services
from ..enums import CandidateState
from ..export import comparison_csv, comparison_pdf, ranked_by_label
from ..forms import AnswerForm, DecideForm, InviteForm, SelectionCreateForm
from ..models import Candidate, SelectionProject
from ..selectors import comparison, selection_history


class SelectionListView(LoginRequiredMixin, View):
    """The organisation's selection projects, the invitations it received, a new project."""

    template_name = "selection/selection_list.html"

    def _render(self, request, form, status=200):
        return render(
            request,
            self.template_name,
            {
                "projects": SelectionProject.objects.for_user(request.user),
                "invitations": Candidate.objects.for_user(request.user).select_related(
                    "project__buyer"
                ),
                "form": form,
            },
            status=status,
        )

    def get(self, request):
        if not request.user.is_applicant:
            raise NotFound()
        return self._render(request, SelectionCreateForm())

    def post(self, request):
        if not request.user.is_applicant:
            raise NotFound()
        form = SelectionCreateForm(request.POST)
        if not form.is_valid():
            return self._render(request, form, status=400)
        data = dict(form.cleaned_data)
        weights = {area: data.pop(f"weight_{area}") for area in CapabilityArea.values}
        try:
            project = services.selection_create(
                actor=request.user, weights=weights, now=timezone.now(), **data
            )
        except DomainError as exc:
            field = exc.field if exc.field in form.fields else None
            form.add_error(field, str(exc.message))
            return self._render(request, form, status=exc.status_code)
        return redirect("selection:selection-detail", pk=project.pk)


class SelectionDetailView(TenantScopedMixin, View):
    """The buyer's comparison: live certificate status and grade from the register, shared
    scores, weighted ranking, requirements met, the decision."""

    model = SelectionProject
    template_name = "selection/selection_detail.html"

    def get_object(self):
        return get_object_or_404(
            self.get_queryset().select_related("chosen__organization", "decided_by"),
            pk=self.kwargs["pk"],
        )

    def render_page(self, request, project, *, status=200, **forms):
        rows = comparison(project, today=timezone.localdate())
        accepted = [r.candidate for r in rows if r.candidate.state == CandidateState.ACCEPTED]
        for row in rows:
            row.ranked_by_label = ranked_by_label(row.ranked_by)
        return render(
            request,
            self.template_name,
            {
                "project": project,
                "rows": rows,
                "areas": list(CapabilityArea),
                "invite_form": forms.get("invite_form") or InviteForm(buyer_id=project.buyer_id),
                "decide_form": forms.get("decide_form") or DecideForm(candidates=accepted),
                "history": selection_history(project, [r.candidate for r in rows]),
            },
            status=status,
        )

    def get(self, request, pk):
        return self.render_page(request, self.get_object())


class SelectionActionView(SelectionDetailView):
    """POST invite | decide."""

    def get(self, request, pk, action):
        raise NotFound()

    def post(self, request, pk, action):
        project = self.get_object()
        now = timezone.now()
        if action == "invite":
            form = InviteForm(request.POST, buyer_id=project.buyer_id)
            key = "invite_form"
        elif action == "decide":
            form = DecideForm(request.POST, candidates=project.candidates.all())
            key = "decide_form"
        else:
            raise NotFound()
        if not form.is_valid():
            return self.render_page(request, project, status=400, **{key: form})
        data = form.cleaned_data
        try:
            if action == "invite":
                candidate = services.selection_invite(
                    actor=request.user,
                    project_id=project.pk,
                    organization_id=data["organization"].pk if data["organization"] else None,
                    uscc=data["uscc"],
                    now=now,
                )
                messages.success(
                    request,
                    _("%(name)s invited.") % {"name": candidate.organization.name},
                )
            else:
                services.selection_decide(
                    actor=request.user,
                    project_id=project.pk,
                    candidate_id=data["candidate"],
                    reason=data["reason"],
                    now=now,
                )
                messages.success(request, _("Decision recorded."))
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc.message))
            return self.render_page(request, project, status=exc.status_code, **{key: form})
        return redirect("selection:selection-detail", pk=project.pk)


class SelectionExportView(SelectionDetailView):
    """The comparison as CSV or PDF."""

    def get(self, request, pk, fmt):
        project = self.get_object()
        today = timezone.localdate()
        rows = comparison(project, today=today)
        if fmt == "csv":
            response = HttpResponse(
                "\ufeff" + comparison_csv(project, rows), content_type="text/csv; charset=utf-8"
            )
        elif fmt == "pdf":
            response = HttpResponse(
                comparison_pdf(project, rows, today=today), content_type="application/pdf"
            )
        else:
            raise NotFound()
        response["Content-Disposition"] = f'attachment; filename="selection-{project.pk}.{fmt}"'
        response["X-Content-Type-Options"] = "nosniff"
        return response


class InvitationDetailView(TenantScopedMixin, View):
    """A candidate's view of one invitation: the buyer, its weights and requirements — never
    the other candidates — and its answer."""

    model = Candidate
    template_name = "selection/invitation_detail.html"

    def get_object(self):
        return get_object_or_404(
            self.get_queryset().select_related("project__buyer", "self_evaluation"),
            pk=self.kwargs["pk"],
        )

    def _render(self, request, candidate, form, status=200):
        return render(
            request,
            self.template_name,
            {
                "candidate": candidate,
                "project": candidate.project,
                "areas": [
                    (area.label, candidate.project.weights[area.value]) for area in CapabilityArea
                ],
                "form": form,
            },
            status=status,
        )

    def get(self, request, pk):
        candidate = self.get_object()
        return self._render(request, candidate, AnswerForm(user=request.user))

    def post(self, request, pk):
        candidate = self.get_object()
        form = AnswerForm(request.POST, user=request.user)
        if not form.is_valid():
            return self._render(request, candidate, form, status=400)
        data = form.cleaned_data
        try:
            services.candidate_answer(
                actor=request.user,
                candidate_id=candidate.pk,
                accept=data["answer"] == "accept",
                sharing=data["sharing"],
                self_evaluation_id=data["self_evaluation"].pk if data["self_evaluation"] else None,
                now=timezone.now(),
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc.message))
            return self._render(request, candidate, form, status=exc.status_code)
        messages.success(request, _("Your answer was recorded."))
        return redirect("selection:invitation-detail", pk=candidate.pk)
