"""The center edits rubrics (M§3): a new draft version, its criteria and thresholds, what stops
it from being published, publishing. Everyone else: 404. Forms re-render with the message
inline and the error's status; the services hold the rules."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from applications.enums import GRADE_ORDER, CapabilityArea
from ietsportal.errors import DomainError

from . import services
from .enums import RubricKind
from .forms import CriterionForm, RubricDraftForm, RubricTitleForm, ThresholdsForm
from .models import Criterion, Rubric


class CenterOnlyMixin(LoginRequiredMixin):
    """Rubric editing is the center's alone; to anyone else these pages do not exist."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not request.user.is_center_staff:
            raise Http404
        return super().dispatch(request, *args, **kwargs)


def _form_error(form, exc: DomainError):
    form.add_error(exc.field if exc.field in form.fields else None, str(exc.message))


class RubricManageListView(CenterOnlyMixin, View):
    template_name = "rubrics/manage_list.html"

    def get(self, request, error=None, status=200):
        rubrics = Rubric.objects.order_by("kind", "-version")
        return render(
            request,
            self.template_name,
            {
                "rubrics": rubrics,
                "kinds": RubricKind.choices,
                "error": error,
                "draft_kinds": set(rubrics.filter(state="draft").values_list("kind", flat=True)),
            },
            status=status,
        )


class RubricDraftCreateView(RubricManageListView):
    http_method_names = ["post"]

    def post(self, request):
        form = RubricDraftForm(request.POST)
        if not form.is_valid():
            return self.get(request, error=_("Unknown rubric kind."), status=400)
        try:
            draft = services.rubric_draft_create(
                actor=request.user, kind=form.cleaned_data["kind"], now=timezone.now()
            )
        except DomainError as exc:
            return self.get(request, error=str(exc.message), status=exc.status_code)
        messages.success(request, _("A new draft version was created."))
        return redirect("rubrics:edit", pk=draft.pk)


class RubricEditView(CenterOnlyMixin, View):
    """A draft's editing page; a published or retired version is shown read-only."""

    template_name = "rubrics/manage_edit.html"

    def rubric(self, pk):
        return get_object_or_404(
            Rubric.objects.prefetch_related(
                Prefetch("criteria", queryset=Criterion.objects.order_by("position", "code")),
                "thresholds",
            ),
            pk=pk,
        )

    def page(self, request, rubric, *, status=200, error=None, **forms):
        criteria = list(rubric.criteria.all())
        thresholds = {t.grade: t.min_total for t in rubric.thresholds.all()}
        context = {
            "rubric": rubric,
            "areas": [
                (area.label, [c for c in criteria if c.area == area.value])
                for area in CapabilityArea
            ],
            "criteria_count": len(criteria),
            "thresholds": [(g, thresholds.get(g)) for g in GRADE_ORDER],
            "problems": services.rubric_problems(rubric) if rubric.is_editable else [],
            "error": error,
            "title_form": forms.get("title_form")
            or RubricTitleForm(initial={"title": rubric.title, "title_en": rubric.title_en}),
            "threshold_form": forms.get("threshold_form")
            or ThresholdsForm(initial={g: v for g, v in thresholds.items()}),
            "criterion_form": forms.get("criterion_form")
            or CriterionForm(
                initial={"position": (max((c.position for c in criteria), default=-1) + 1)}
            ),
        }
        return render(request, self.template_name, context, status=status)

    def get(self, request, pk):
        return self.page(request, self.rubric(pk))

    def post(self, request, pk):
        rubric = self.rubric(pk)
        form = RubricTitleForm(request.POST)
        if form.is_valid():
            try:
                services.rubric_title_set(
                    actor=request.user, rubric_id=rubric.pk, now=timezone.now(), **form.cleaned_data
                )
            except DomainError as exc:
                _form_error(form, exc)
                return self.page(request, rubric, title_form=form, status=exc.status_code)
            messages.success(request, _("Saved."))
            return redirect("rubrics:edit", pk=rubric.pk)
        return self.page(request, rubric, title_form=form, status=400)


class CriterionEditView(RubricEditView):
    """Add a criterion to a draft (`criteria/new/`) or change one (`criteria/<cid>/`)."""

    template_name_one = "rubrics/criterion_form.html"

    def criterion(self, rubric, cid):
        if cid is None:
            return None
        return get_object_or_404(Criterion, pk=cid, rubric=rubric)

    def get(self, request, pk, cid=None):
        rubric = self.rubric(pk)
        criterion = self.criterion(rubric, cid)
        if criterion is None:
            return redirect("rubrics:edit", pk=rubric.pk)
        form = CriterionForm(initial={f: getattr(criterion, f) for f in CriterionForm.base_fields})
        return self.one(request, rubric, criterion, form)

    def one(self, request, rubric, criterion, form, status=200):
        return render(
            request,
            self.template_name_one,
            {"rubric": rubric, "criterion": criterion, "form": form},
            status=status,
        )

    def post(self, request, pk, cid=None):
        rubric = self.rubric(pk)
        criterion = self.criterion(rubric, cid)
        form = CriterionForm(request.POST)
        status = 400
        if form.is_valid():
            try:
                services.criterion_save(
                    actor=request.user,
                    rubric_id=rubric.pk,
                    criterion_id=cid,
                    data=form.cleaned_data,
                    now=timezone.now(),
                )
            except DomainError as exc:
                _form_error(form, exc)
                status = exc.status_code
            else:
                messages.success(request, _("Saved."))
                return redirect("rubrics:edit", pk=rubric.pk)
        if criterion is None:
            return self.page(request, rubric, criterion_form=form, status=status)
        return self.one(request, rubric, criterion, form, status=status)


class CriterionDeleteView(RubricEditView):
    http_method_names = ["post"]

    def post(self, request, pk, cid):
        rubric = self.rubric(pk)
        get_object_or_404(Criterion, pk=cid, rubric=rubric)
        try:
            services.criterion_delete(
                actor=request.user, rubric_id=rubric.pk, criterion_id=cid, now=timezone.now()
            )
        except DomainError as exc:
            return self.page(request, rubric, error=str(exc.message), status=exc.status_code)
        messages.success(request, _("The criterion was removed."))
        return redirect("rubrics:edit", pk=rubric.pk)


class ThresholdsView(RubricEditView):
    http_method_names = ["post"]

    def post(self, request, pk):
        rubric = self.rubric(pk)
        form = ThresholdsForm(request.POST)
        if not form.is_valid():
            return self.page(request, rubric, threshold_form=form, status=400)
        try:
            services.rubric_thresholds_set(
                actor=request.user,
                rubric_id=rubric.pk,
                thresholds=form.cleaned_data,
                now=timezone.now(),
            )
        except DomainError as exc:
            _form_error(form, exc)
            return self.page(request, rubric, threshold_form=form, status=exc.status_code)
        messages.success(request, _("Saved."))
        return redirect("rubrics:edit", pk=rubric.pk)


class RubricPublishView(RubricEditView):
    http_method_names = ["post"]

    def post(self, request, pk):
        rubric = self.rubric(pk)
        try:
            services.rubric_publish(actor=request.user, rubric_id=rubric.pk, now=timezone.now())
        except DomainError as exc:
            return self.page(request, rubric, error=str(exc.message), status=exc.status_code)
        messages.success(
            request, _("Version %(version)s is published.") % {"version": rubric.version}
        )
        return redirect("rubrics:edit", pk=rubric.pk)


class RubricDiscardView(RubricEditView):
    http_method_names = ["post"]

    def post(self, request, pk):
        rubric = self.rubric(pk)
        try:
            services.rubric_draft_discard(
                actor=request.user, rubric_id=rubric.pk, now=timezone.now()
            )
        except DomainError as exc:
            return self.page(request, rubric, error=str(exc.message), status=exc.status_code)
        messages.success(request, _("The draft was discarded."))
        return redirect("rubrics:manage-list")
