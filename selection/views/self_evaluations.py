"""Self-evaluation pages (M§5): the organisation's runs, one run's scoring and result."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from applications.enums import EvaluationKind
from ietsportal.errors import DomainError, NotFound
from ietsportal.uploads import stored_upload_response
from ietsportal.views import TenantScopedMixin
from rubrics.models import Rubric

from .. import services
from ..forms import EvidenceForm, SelfEvaluationCreateForm, ToApplicationForm
from ..models import SelfEvaluation, SelfEvaluationEvidence
from ..selectors import history_chart, self_evaluation_report


def _applicant_only(user):
    if not user.is_applicant:
        raise NotFound()


class SelfEvaluationListView(LoginRequiredMixin, View):
    """The organisation's runs, their totals over time (a server-drawn SVG) and a new run."""

    template_name = "selection/self_evaluation_list.html"

    def _render(self, request, form, status=200):
        runs = list(
            SelfEvaluation.objects.for_user(request.user)
            .select_related("rubric")
            .order_by("created_at", "id")
        )
        charts = []
        for kind in EvaluationKind:
            of_kind = [r for r in runs if r.rubric.kind == kind.value]
            current = Rubric.objects.current(kind.value) if of_kind else None
            thresholds = (
                [(t.grade, t.min_total) for t in current.thresholds.all()] if current else []
            )
            chart = history_chart(of_kind, thresholds=thresholds)
            if chart:
                charts.append((kind.label, chart))
        return render(
            request,
            self.template_name,
            {"runs": runs[::-1], "charts": charts, "form": form},
            status=status,
        )

    def get(self, request):
        _applicant_only(request.user)
        return self._render(request, SelfEvaluationCreateForm())

    def post(self, request):
        _applicant_only(request.user)
        form = SelfEvaluationCreateForm(request.POST)
        if not form.is_valid():
            return self._render(request, form, status=400)
        try:
            evaluation = services.self_evaluation_create(
                actor=request.user, now=timezone.now(), **form.cleaned_data
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc.message))
            return self._render(request, form, status=exc.status_code)
        return redirect("selection:self-evaluation-detail", pk=evaluation.pk)


class SelfEvaluationDetailView(TenantScopedMixin, View):
    """One run: criterion by criterion scores and notes (a draft is editable), the result and
    what separates it from the next grade."""

    model = SelfEvaluation
    template_name = "selection/self_evaluation_detail.html"

    def get_object(self):
        return get_object_or_404(self.get_queryset().select_related("rubric"), pk=self.kwargs["pk"])

    def render_page(self, request, evaluation, *, error=None, status=200, **forms):
        report = self_evaluation_report(evaluation)
        criteria = report["rubric"].criteria_list
        context = {
            "evaluation": evaluation,
            "report": report,
            "error": error,
            "evidence_form": forms.get("evidence_form") or EvidenceForm(criteria=criteria),
            "apply_form": forms.get("apply_form")
            or ToApplicationForm(organization=request.user.organization),
            "posted": forms.get("posted"),
        }
        return render(request, self.template_name, context, status=status)

    def get(self, request, pk):
        return self.render_page(request, self.get_object())

    def post(self, request, pk):
        evaluation = self.get_object()
        codes = [c.code for c in evaluation.rubric.criteria.all()]
        scores = {code: request.POST.get(f"score-{code}", "") for code in codes}
        notes = {code: request.POST.get(f"note-{code}", "") for code in codes}
        try:
            services.self_evaluation_score(
                actor=request.user,
                evaluation_id=evaluation.pk,
                scores=scores,
                notes=notes,
                now=timezone.now(),
            )
        except DomainError as exc:
            return self.render_page(
                request, evaluation, error=exc.message, status=exc.status_code, posted=request.POST
            )
        messages.success(request, _("Scores saved."))
        return redirect("selection:self-evaluation-detail", pk=evaluation.pk)


class SelfEvaluationActionView(SelfEvaluationDetailView):
    """POST complete | withdraw | evidence | apply."""

    ACTIONS = ("complete", "withdraw", "evidence", "apply")

    def get(self, request, pk, action):
        raise NotFound()

    def post(self, request, pk, action):
        evaluation = self.get_object()
        if action not in self.ACTIONS:
            raise NotFound()
        now = timezone.now()
        forms = {}
        try:
            if action == "complete":
                services.self_evaluation_complete(
                    actor=request.user, evaluation_id=evaluation.pk, now=now
                )
                messages.success(request, _("Self-evaluation completed."))
            elif action == "withdraw":
                services.self_evaluation_withdraw(
                    actor=request.user, evaluation_id=evaluation.pk, now=now
                )
                messages.success(request, _("Self-evaluation withdrawn."))
            elif action == "evidence":
                form = forms["evidence_form"] = EvidenceForm(
                    request.POST,
                    request.FILES,
                    criteria=list(evaluation.rubric.criteria.order_by("position", "code")),
                )
                if not form.is_valid():
                    return self.render_page(request, evaluation, status=400, **forms)
                services.self_evaluation_evidence_add(
                    actor=request.user,
                    evaluation_id=evaluation.pk,
                    upload=form.cleaned_data["file"],
                    code=form.cleaned_data["code"],
                    description=form.cleaned_data["description"],
                    now=now,
                )
                messages.success(request, _("Evidence added."))
            else:
                form = forms["apply_form"] = ToApplicationForm(
                    request.POST, organization=request.user.organization
                )
                if not form.is_valid():
                    return self.render_page(request, evaluation, status=400, **forms)
                application = services.self_evaluation_to_application(
                    actor=request.user,
                    evaluation_id=evaluation.pk,
                    institution_id=form.cleaned_data["institution"].pk,
                    requested_grade=form.cleaned_data["requested_grade"],
                    now=now,
                )
                messages.success(
                    request,
                    _("Draft application %(number)s made from this self-evaluation.")
                    % {"number": application.number},
                )
                return redirect("applications:application-detail", pk=application.pk)
        except DomainError as exc:
            return self.render_page(
                request, evaluation, error=exc.message, status=exc.status_code, **forms
            )
        return redirect("selection:self-evaluation-detail", pk=evaluation.pk)


class SelfEvaluationEvidenceDownloadView(TenantScopedMixin, View):
    model = SelfEvaluationEvidence

    def get(self, request, pk, evidence_id):
        item = get_object_or_404(self.get_queryset(), pk=evidence_id, evaluation_id=pk)
        return stored_upload_response(item)
