"""M§8: the center keeps its expert pool — fields, employer, declared conflicts, availability."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _g
from django.views import View
from django.views.generic import ListView

from .. import services
from ..forms import ConflictForm, ExpertCreateForm, ExpertForm
from ..models import Expert
from .base import run_action


class CenterOnlyMixin(LoginRequiredMixin):
    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not request.user.is_center_staff:
            raise Http404()
        return super().dispatch(request, *args, **kwargs)


class ExpertListView(CenterOnlyMixin, ListView):
    template_name = "institutions/expert_list.html"
    context_object_name = "experts"
    paginate_by = 50

    def get_queryset(self):
        qs = Expert.objects.select_related("user", "employer").order_by("user__username")
        q = (self.request.GET.get("q") or "").replace("\x00", "").strip()[:100]
        if q:
            qs = qs.filter(
                Q(user__display_name__icontains=q)
                | Q(user__username__icontains=q)
                | Q(fields_of_expertise__icontains=q)
                | Q(employer_name__icontains=q)
            )
        return qs

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "query": self.request.GET.get("q", "")}


class ExpertCreateView(CenterOnlyMixin, View):
    template_name = "institutions/expert_create.html"

    def get(self, request):
        return render(
            request,
            self.template_name,
            {"action_form": ExpertCreateForm(initial={"available": True})},
        )

    def post(self, request):
        form = ExpertCreateForm(request.POST)
        created = {}

        def call(data):
            employer = data.pop("employer")
            created["expert"] = services.expert_create(
                actor=request.user,
                employer_id=employer.pk if employer else None,
                now=timezone.now(),
                **data,
            )

        return run_action(
            request,
            form,
            call,
            success=_g("The expert has been added to the pool."),
            redirect_to=reverse("institutions:expert-list"),
            template=self.template_name,
            context={},
        )


class ExpertDetailView(CenterOnlyMixin, View):
    template_name = "institutions/expert_detail.html"

    def get_object(self):
        return get_object_or_404(
            Expert.objects.select_related("user", "employer"), pk=self.kwargs["pk"]
        )

    def context(self, expert):
        return {
            "expert": expert,
            "conflicts": expert.user.conflict_declarations.select_related("organization").order_by(
                "organization__name"
            ),
            "action_form": ExpertForm(
                initial={
                    "fields_of_expertise": expert.fields_of_expertise,
                    "employer": expert.employer_id,
                    "employer_name": expert.employer_name,
                    "available": expert.available,
                    "max_open_reviews": expert.max_open_reviews,
                }
            ),
            "conflict_form": ConflictForm(),
        }

    def get(self, request, pk):
        return render(request, self.template_name, self.context(self.get_object()))


class ExpertActionView(ExpertDetailView):
    def get(self, request, pk, action):
        raise Http404()

    def post(self, request, pk, action):
        expert = self.get_object()
        context = self.context(expert)
        now = timezone.now()
        if action == "update":
            form = ExpertForm(request.POST)

            def call(data):
                employer = data.pop("employer")
                services.expert_update(
                    actor=request.user,
                    expert_id=pk,
                    employer_id=employer.pk if employer else None,
                    now=now,
                    **data,
                )

        elif action == "declare":
            form = ConflictForm(request.POST)
            context["conflict_form"] = form

            def call(data):
                services.conflict_declare(
                    actor=request.user,
                    expert_id=pk,
                    organization_id=data["organization"].pk,
                    reason=data["reason"],
                    now=now,
                )

        elif action == "withdraw":
            from django import forms

            class WithdrawForm(forms.Form):
                declaration = forms.IntegerField()

            form = WithdrawForm(request.POST)

            def call(data):
                if not expert.user.conflict_declarations.filter(pk=data["declaration"]).exists():
                    raise Http404()
                services.conflict_withdraw(
                    actor=request.user, declaration_id=data["declaration"], now=now
                )

        else:
            raise Http404()
        return run_action(
            request,
            form,
            call,
            success=_g("Saved."),
            redirect_to=reverse("institutions:expert-detail", args=[pk]),
            template=self.template_name,
            context={**context, "failed": action},
        )
