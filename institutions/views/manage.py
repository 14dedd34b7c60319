"""The institution's own pages (R§8, R§10–12, R§16): roster, staffing, history; and the
center's supervision of institutions and assessors."""

from datetime import date

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _g
from django.views import View
from django.views.generic import ListView

from ietsportal.uploads import stored_upload_response
from ietsportal.views import TenantScopedMixin

from .. import services
from ..enums import AssessorState, InstitutionState
from ..forms import AssessorUpdateForm, NominationForm, NoteForm, SupervisionForm
from ..models import Assessor, Institution, SupervisionAction, SupervisionEvidence
from ..selectors import participation_report, staffing_of, with_staffing
from .base import run_action


class InstitutionManageView(TenantScopedMixin, View):
    """The center's and the institution's view of one institution."""

    model = Institution
    template_name = "institutions/manage.html"

    def get_object(self):
        return get_object_or_404(with_staffing(self.get_queryset()), pk=self.kwargs["pk"])

    def context(self, institution):
        user = self.request.user
        state = institution.state
        return {
            "institution": institution,
            "staffing": staffing_of(institution),
            "roster": institution.assessors.select_related("user").order_by(
                "state", "registration_number", "pk"
            ),
            "history": SupervisionAction.objects.filter(institution=institution)
            .select_related("assessor", "actor")
            .prefetch_related("files")
            .order_by("-created_at", "-pk"),
            "designation": getattr(institution, "designation", None),
            "is_center": user.is_center_staff,
            "can_nominate": user.is_institution_admin
            and state in (InstitutionState.APPROVED, InstitutionState.SUSPENDED),
            "panels": [
                (name, SupervisionForm(prefix=name))
                for name, allowed in (
                    ("suspend", state == InstitutionState.APPROVED),
                    ("reinstate", state == InstitutionState.SUSPENDED),
                    ("stop", state in (InstitutionState.APPROVED, InstitutionState.SUSPENDED)),
                )
                if allowed and user.is_center_staff
            ],
        }

    def get(self, request, pk):
        return render(request, self.template_name, self.context(self.get_object()))


class InstitutionActionView(InstitutionManageView):
    def get(self, request, pk, action):
        raise Http404()

    def post(self, request, pk, action):
        institution = self.get_object()
        if action not in ("suspend", "reinstate", "stop"):
            raise Http404()
        form = SupervisionForm(request.POST, request.FILES, prefix=action)
        now, user = timezone.now(), request.user
        context = self.context(institution)
        context["panels"] = [(n, form if n == action else f) for n, f in context["panels"]]

        def call(data):
            kwargs = {
                "explanation": data["explanation"],
                "evidence": data["evidence"],
                "evidence_file": data["evidence_file"],
            }
            if action == "suspend":
                services.institution_suspend(
                    institution_id=pk, actor=user, grounds=data["grounds"], now=now, **kwargs
                )
            elif action == "stop":
                services.institution_stop(
                    institution_id=pk, actor=user, grounds=data["grounds"], now=now, **kwargs
                )
            else:
                services.institution_reinstate(institution_id=pk, actor=user, now=now, **kwargs)

        return run_action(
            request,
            form,
            call,
            success=_g("Done."),
            redirect_to=reverse("institutions:institution-manage", args=[pk]),
            template=self.template_name,
            context=context,
        )


class AssessorNominateView(LoginRequiredMixin, View):
    """R§10, R§14(1): the institution's admin nominates a person."""

    template_name = "institutions/nominate.html"

    def _check(self, request):
        if not request.user.is_institution_admin:
            raise Http404()

    def get(self, request):
        self._check(request)
        return render(request, self.template_name, {"action_form": NominationForm()})

    def post(self, request):
        self._check(request)
        form = NominationForm(request.POST)
        now = timezone.now()
        created = {}

        def call(data):
            created["assessor"] = services.assessor_nominate(actor=request.user, now=now, **data)

        response = run_action(
            request,
            form,
            call,
            success=_g("The nomination has been sent to the evaluation center."),
            redirect_to=reverse(
                "institutions:institution-manage", args=[request.user.institution_id]
            ),
            template=self.template_name,
            context={},
        )
        return response


class AssessorDetailView(TenantScopedMixin, View):
    model = Assessor
    template_name = "institutions/assessor_detail.html"

    def get_object(self):
        return get_object_or_404(
            self.get_queryset().select_related("institution", "user"), pk=self.kwargs["pk"]
        )

    def context(self, assessor):
        user = self.request.user
        state = assessor.state
        actions = []
        if user.is_center_staff:
            actions += [
                name
                for name, allowed in (
                    ("register", state == AssessorState.NOMINATED),
                    ("suspend", state == AssessorState.REGISTERED),
                    ("reinstate", state == AssessorState.SUSPENDED),
                    ("remove", state != AssessorState.REMOVED),
                )
                if allowed
            ]
        elif state != AssessorState.REMOVED:
            actions.append("remove")
        panels = [
            (name, (NoteForm if name == "register" else SupervisionForm)(prefix=name))
            for name in actions
        ]
        return {
            "assessor": assessor,
            "history": assessor.supervision_actions.select_related("actor")
            .prefetch_related("files")
            .order_by("-created_at", "-pk"),
            "panels": panels,
            "can_update": user.is_institution_admin and state != AssessorState.REMOVED,
            "is_center": user.is_center_staff,
            "update_form": AssessorUpdateForm(
                initial={
                    "contract_type": assessor.contract_type,
                    "full_time": "yes" if assessor.full_time else "no",
                }
            ),
        }

    def get(self, request, pk):
        return render(request, self.template_name, self.context(self.get_object()))


class AssessorActionView(AssessorDetailView):
    def get(self, request, pk, action):
        raise Http404()

    def post(self, request, pk, action):
        assessor = self.get_object()
        context = self.context(assessor)
        if action == "update":
            form = AssessorUpdateForm(request.POST)
            context["update_form"] = form
        elif action in dict(context["panels"]):
            form = (NoteForm if action == "register" else SupervisionForm)(
                request.POST, request.FILES, prefix=action
            )
            context["panels"] = [(n, form if n == action else f) for n, f in context["panels"]]
        else:
            raise Http404()
        now, user = timezone.now(), request.user

        def call(data):
            if action == "update":
                services.assessor_update(assessor_id=pk, actor=user, now=now, **data)
            elif action == "register":
                services.assessor_register(assessor_id=pk, actor=user, note=data["note"], now=now)
            elif action == "reinstate":
                services.assessor_reinstate(
                    assessor_id=pk,
                    actor=user,
                    explanation=data["explanation"],
                    evidence=data["evidence"],
                    evidence_file=data["evidence_file"],
                    now=now,
                )
            else:
                getattr(services, f"assessor_{action}")(assessor_id=pk, actor=user, now=now, **data)

        return run_action(
            request,
            form,
            call,
            success=_g("Done."),
            redirect_to=reverse("institutions:assessor-detail", args=[pk]),
            template=self.template_name,
            context=context,
        )


class ParticipationView(LoginRequiredMixin, ListView):
    """R§12: evaluations per assessor in a year; the center sees all, an institution its own."""

    template_name = "institutions/participation.html"
    context_object_name = "rows"
    paginate_by = 100

    def year(self) -> int:
        value = self.request.GET.get("year", "")
        today = timezone.localdate()
        if value.isascii() and value.isdigit() and 2000 <= int(value[:6]) <= today.year + 1:
            return int(value)
        return today.year

    def get_queryset(self):
        user = self.request.user
        if user.is_center_staff:
            institution_id = None
        elif user.is_institution_admin:
            institution_id = user.institution_id
        else:
            raise Http404()
        return participation_report(year=self.year(), institution_id=institution_id)

    def get_context_data(self, **kwargs):
        from django.conf import settings

        year = self.year()
        return {
            **super().get_context_data(**kwargs),
            "year": year,
            "minimum": settings.ASSESSOR_MIN_EVALUATIONS_PER_YEAR,
            "years": list(range(timezone.localdate().year, 2020, -1)),
            "year_over": date(year + 1, 1, 1) <= timezone.localdate(),
        }


class SupervisionEvidenceDownloadView(TenantScopedMixin, View):
    """An evidence file of a supervision action, for the center and the institution's admins;
    never inline."""

    model = SupervisionAction

    def get(self, request, pk, file_id):
        action = get_object_or_404(self.get_queryset(), pk=pk)
        item = get_object_or_404(SupervisionEvidence, pk=file_id, action=action)
        return stored_upload_response(item)
