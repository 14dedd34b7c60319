from django.contrib import messages
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _g
from django.views import View
from django.views.generic import DetailView

from ietsportal.errors import DomainError, NotFound
from ietsportal.uploads import stored_upload_response
from ietsportal.views import TenantScopedMixin
from rubrics.scoring import rubric_loaded

from .. import services
from ..api.views import request_data
from ..enums import ApplicationState, Grade, ObjectionState
from ..forms import (
    DismissObjectionForm,
    EvidenceForm,
    ExpertDeclarationForm,
    ExpertOpinionForm,
)
from ..models import (
    Application,
    CriterionScore,
    Evidence,
    ExpertReview,
    MaterialRequest,
    PublicityBatch,
)
from ..selectors import application_timeline, expert_pool, registered_assessors_of
from ..workflow import (
    STEPS,
    current_round_reviews,
    eligibility_problems,
    grade_gap,
    panel_grade,
    rubric_for,
)


class ApplicationDetailView(TenantScopedMixin, DetailView):
    model = Application
    template_name = "applications/detail.html"
    context_object_name = "application"

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .select_related(
                "organization", "institution", "lead_assessor", "rubric", "publicity_batch"
            )
            .prefetch_related(
                "assessors",
                Prefetch(
                    "criterion_scores",
                    queryset=CriterionScore.objects.select_related("criterion", "scored_by"),
                ),
                Prefetch("evidence", queryset=Evidence.objects.select_related("criterion")),
                Prefetch(
                    "material_requests",
                    queryset=MaterialRequest.objects.select_related(
                        "requested_by", "answered_by"
                    ).prefetch_related("criteria", "files"),
                ),
                Prefetch("expert_reviews", queryset=ExpertReview.objects.select_related("expert")),
            )
        )

    def get_context_data(self, error=None, error_step=None, posted=None, **kwargs):
        app, user = self.object, self.request.user
        now = timezone.now()
        steps = [STEPS[name] for name in services.available_transitions(app, user)]
        reviews = list(app.expert_reviews.all())
        mine = (
            next((r for r in current_round_reviews(app) if r.expert_id == user.pk), None)
            if app.state == ApplicationState.EXPERT_REVIEW
            else None
        )
        my_review = mine if mine is not None and mine.submitted_at is None else None
        if user.is_center_staff:
            visible_reviews = reviews
        else:
            # M§14(3): independent opinions — an expert sees the others' only after giving
            # their own in the same round.
            done = {r.round for r in reviews if r.expert_id == user.pk and r.submitted_at}
            visible_reviews = [
                r for r in reviews if r.expert_id == user.pk or (r.round in done and r.submitted_at)
            ]
        review_scores = {}
        for row in app.criterion_scores.all():
            if row.review_id is not None:
                review_scores.setdefault(row.review_id, []).append(row)
        can_add_evidence = user.is_applicant and app.state in (
            ApplicationState.DRAFT,
            ApplicationState.RETURNED_TO_APPLICANT,
        )
        objections = list(app.objections.all()) if user.is_center_staff else []
        rubric = rubric_for(app)
        criteria = rubric_loaded(rubric).criteria_list if rubric else []
        report_rubric = None
        if any(s.name == "file_report" for s in steps):
            report_rubric = rubric
        shown_inline = (
            error_step in {s.name for s in steps}
            or (error_step == "evidence" and can_add_evidence)
            or (error_step in {"opinion", "declaration"} and my_review is not None)
            or (error_step == "objection" and bool(objections))
        )
        return {
            **super().get_context_data(**kwargs),
            "steps": steps,
            "error_at_top": error if error and not shown_inline else None,
            "error": error,
            "error_step": error_step,
            "posted": posted or {},
            "grades": Grade.choices,
            "assessor_choices": (
                registered_assessors_of(app.institution_id)
                if any(s.name == "accept" for s in steps)
                else []
            ),
            "batch_choices": (
                PublicityBatch.objects.filter(starts_at__isnull=True).order_by("year", "sequence")
                if any(s.name == "confirm" for s in steps)
                else []
            ),
            "expert_choices": (
                expert_pool()
                if any(s.name in {"start_expert_review", "reopen_review"} for s in steps)
                else []
            ),
            "problems": (
                eligibility_problems(app, now=now)
                if app.state == ApplicationState.DRAFT and user.is_applicant
                else []
            ),
            "can_add_evidence": can_add_evidence,
            "report_rubric": report_rubric,
            "report_criteria": report_rubric.criteria_list if report_rubric else [],
            "institution_scores": [r for r in app.criterion_scores.all() if r.review_id is None],
            "evidence_form": EvidenceForm(criteria=criteria),
            "rubric_criteria": criteria,
            "material_requests": list(app.material_requests.all()),
            "today": timezone.localdate(now),
            "reviews": visible_reviews,
            "review_scores": review_scores,
            "my_review": my_review,
            "needs_declaration": my_review is not None and my_review.declared_at is None,
            "declaration_form": ExpertDeclarationForm(),
            "opinion_form": ExpertOpinionForm() if my_review else None,
            "panel_grade": panel_grade(app) if user.is_center_staff else "",
            "grade_gap": grade_gap(app) if user.is_center_staff else None,
            "objections": objections,
            "dismiss_form": DismissObjectionForm(),
            "open_state": ObjectionState.OPEN,
            "timeline": application_timeline(application=app, user=user),
            "certificate": getattr(app, "certificate", None)
            if app.state == ApplicationState.ISSUED
            else None,
        }

    def render_error(self, request, exc, step=None, posted=None):
        self.object = self.get_object()
        context = self.get_context_data(error=str(exc.message), error_step=step, posted=posted)
        return render(request, self.template_name, context, status=exc.status_code)


class ApplicationTransitionView(ApplicationDetailView):
    """POST a transition from the detail page; errors re-render the page with the message."""

    http_method_names = ["post"]

    def post(self, request, pk, name):
        app = self.get_object()
        data = request_data(request.POST)
        try:
            services.application_transition(
                application_id=app.pk, name=name, actor=request.user, data=data, now=timezone.now()
            )
        except DomainError as exc:
            return self.render_error(request, exc, step=name, posted=data)
        messages.success(request, _g("Done: %(step)s.") % {"step": STEPS[name].label})
        return redirect("applications:application-detail", pk=app.pk)


class EvidenceUploadView(ApplicationDetailView):
    http_method_names = ["post"]

    def post(self, request, pk):
        app = self.get_object()
        rubric = rubric_for(app)
        criteria = rubric_loaded(rubric).criteria_list if rubric else []
        form = EvidenceForm(request.POST, request.FILES, criteria=criteria)
        try:
            if not form.is_valid():
                from ietsportal.errors import InvalidInput

                raise InvalidInput(" ".join(e for errs in form.errors.values() for e in errs))
            services.evidence_add(
                application=app,
                actor=request.user,
                upload=form.cleaned_data["file"],
                description=form.cleaned_data["description"],
                criterion=form.cleaned_data["criterion"],
                now=timezone.now(),
            )
        except DomainError as exc:
            return self.render_error(request, exc, step="evidence")
        messages.success(request, _g("File added."))
        return redirect("applications:application-detail", pk=app.pk)


class ExpertOpinionView(ApplicationDetailView):
    http_method_names = ["post"]

    def post(self, request, pk):
        app = self.get_object()
        form = ExpertOpinionForm(request.POST)
        data = request_data(request.POST)
        scores = {k[7:]: v for k, v in data.items() if k.startswith("scores.") and v}
        comments = {k[9:]: v for k, v in data.items() if k.startswith("comments.") and v}
        try:
            if not form.is_valid():
                from ietsportal.errors import InvalidInput

                raise InvalidInput(" ".join(e for errs in form.errors.values() for e in errs))
            services.expert_opinion_submit(
                application_id=app.pk,
                actor=request.user,
                now=timezone.now(),
                scores=scores or None,
                comments=comments,
                **form.cleaned_data,
            )
        except DomainError as exc:
            return self.render_error(request, exc, step="opinion")
        messages.success(request, _g("Your opinion has been recorded."))
        return redirect("applications:application-detail", pk=app.pk)


class ExpertDeclarationView(ApplicationDetailView):
    """M§14(3): the drawn expert declares first whether they have a conflict of interest."""

    http_method_names = ["post"]

    def post(self, request, pk):
        app = self.get_object()
        form = ExpertDeclarationForm(request.POST)
        try:
            if not form.is_valid():
                from ietsportal.errors import InvalidInput

                raise InvalidInput(" ".join(e for errs in form.errors.values() for e in errs))
            review = services.expert_declare(
                application_id=app.pk, actor=request.user, now=timezone.now(), **form.cleaned_data
            )
        except DomainError as exc:
            return self.render_error(request, exc, step="declaration")
        if review.conflict_declared:
            messages.success(request, _g("Your declaration was recorded; you leave this panel."))
            return redirect("workspace")
        messages.success(request, _g("Your declaration was recorded."))
        return redirect("applications:application-detail", pk=app.pk)


class ObjectionDismissView(ApplicationDetailView):
    http_method_names = ["post"]

    def post(self, request, pk, objection_id):
        app = self.get_object()
        if not app.objections.filter(pk=objection_id).exists():
            raise NotFound()
        try:
            services.objection_dismiss(
                objection_id=objection_id,
                actor=request.user,
                reason=request.POST.get("reason", ""),
                now=timezone.now(),
            )
        except DomainError as exc:
            return self.render_error(request, exc, step="objection")
        messages.success(request, _g("The objection was dismissed."))
        return redirect("applications:application-detail", pk=app.pk)


class EvaluationReportPdfView(TenantScopedMixin, View):
    """M§14(2): the evaluation report as a PDF, for everyone who may see the application."""

    model = Application

    def get(self, request, pk):
        from django.http import HttpResponse

        from ietsportal.errors import Conflict

        from ..report_pdf import report_pdf

        app = get_object_or_404(
            self.get_queryset().select_related("organization", "institution", "rubric"), pk=pk
        )
        if app.score_total is None and app.score_basic is None:
            raise Conflict(_g("No evaluation report has been filed yet."))
        response = HttpResponse(report_pdf(app, now=timezone.now()), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{app.number}-report.pdf"'
        response["X-Content-Type-Options"] = "nosniff"
        return response


class EvidenceDownloadView(TenantScopedMixin, View):
    """Only people who may see the application may download its evidence; never inline."""

    model = Evidence

    def get(self, request, pk, evidence_id):
        evidence = get_object_or_404(self.get_queryset(), pk=evidence_id, application_id=pk)
        return stored_upload_response(evidence)
