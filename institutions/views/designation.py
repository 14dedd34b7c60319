"""R§7, R§13: designation of institutions — filed by an organisation, reviewed by the center
and an expert panel, decided by the center."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _g
from django.views import View
from django.views.generic import ListView

from ietsportal.errors import DomainError
from ietsportal.uploads import stored_upload_response
from ietsportal.views import TenantScopedMixin

from .. import services
from ..enums import InstitutionState
from ..forms import DecisionForm, DesignationForm, DocumentForm, OpinionForm, PanelForm
from ..models import Designation, DesignationDocument
from .base import run_action


class DesignationListView(LoginRequiredMixin, ListView):
    template_name = "institutions/designation_list.html"
    context_object_name = "designations"
    paginate_by = 50

    def get_queryset(self):
        return (
            Designation.objects.for_user(self.request.user)
            .select_related("institution", "organization")
            .order_by("-submitted_at", "-pk")
        )


class DesignationCreateView(LoginRequiredMixin, View):
    """R§7: an applicant organisation's user files the designation."""

    template_name = "institutions/designation_create.html"

    def _check(self, request):
        if not request.user.is_applicant:
            raise Http404()

    def get(self, request):
        self._check(request)
        form = DesignationForm(initial={"name": request.user.organization.name})
        return render(request, self.template_name, {"form": form})

    def post(self, request):
        self._check(request)
        form = DesignationForm(request.POST)
        if not form.is_valid():
            return render(request, self.template_name, {"form": form}, status=400)
        try:
            designation = services.designation_apply(
                actor=request.user, now=timezone.now(), **form.cleaned_data
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc.message))
            return render(request, self.template_name, {"form": form}, status=exc.status_code)
        messages.success(request, _g("Your designation request has been filed."))
        return redirect("institutions:designation-detail", pk=designation.pk)


class DesignationDetailView(TenantScopedMixin, View):
    model = Designation
    template_name = "institutions/designation_detail.html"

    def get_object(self):
        return get_object_or_404(
            self.get_queryset().select_related("institution", "organization", "applicant"),
            pk=self.kwargs["pk"],
        )

    def context(self, designation):
        user = self.request.user
        opinions = list(designation.opinions.select_related("expert"))
        mine = next((o for o in opinions if o.expert_id == user.pk), None)
        state = designation.institution.state
        under_way = state in (InstitutionState.APPLIED, InstitutionState.UNDER_REVIEW)
        return {
            "designation": designation,
            "institution": designation.institution,
            "opinions": opinions if user.is_center_staff else [o for o in opinions if o is mine],
            "opinions_in": sum(1 for o in opinions if o.submitted_at),
            "panel_size": len(opinions),
            "mine": mine,
            "can_start": user.is_center_staff and state == InstitutionState.APPLIED,
            "can_decide": user.is_center_staff
            and state in (InstitutionState.APPLIED, InstitutionState.UNDER_REVIEW),
            "can_opine": mine is not None
            and mine.submitted_at is None
            and state == InstitutionState.UNDER_REVIEW,
            "documents": list(designation.documents.all()),
            "can_file": under_way
            and user.is_applicant
            and user.organization_id == designation.organization_id,
            "document_form": DocumentForm(),
            "panel_form": PanelForm(initial={"panel_size": settings.DESIGNATION_PANEL_SIZE}),
            "opinion_form": OpinionForm(),
            "decision_form": DecisionForm(),
        }

    def get(self, request, pk):
        designation = self.get_object()
        return render(request, self.template_name, self.context(designation))


class DesignationActionView(DesignationDetailView):
    ACTIONS = {
        "document": (DocumentForm, "document_form"),
        "start-review": (PanelForm, "panel_form"),
        "opinion": (OpinionForm, "opinion_form"),
        "decide": (DecisionForm, "decision_form"),
    }

    def get(self, request, pk, action):
        raise Http404()

    def post(self, request, pk, action):
        designation = self.get_object()
        if action not in self.ACTIONS:
            raise Http404()
        form_class, name = self.ACTIONS[action]
        form = form_class(request.POST, request.FILES)
        now, user = timezone.now(), request.user

        def call(data):
            if action == "document":
                services.designation_document_add(
                    designation_id=pk, actor=user, kind=data["kind"], upload=data["file"], now=now
                )
            elif action == "start-review":
                services.designation_start_expert_review(
                    designation_id=pk, actor=user, now=now, **data
                )
            elif action == "opinion":
                services.designation_opinion_submit(designation_id=pk, actor=user, now=now, **data)
            else:
                services.designation_decide(designation_id=pk, actor=user, now=now, **data)

        context = self.context(designation)
        context[name] = form
        return run_action(
            request,
            form,
            call,
            success=_g("The document has been added.") if action == "document" else _g("Done."),
            redirect_to=request.path.rsplit("/", 2)[0] + "/",
            template=self.template_name,
            context={**context, "failed": action},
        )


class DesignationDocumentDownloadView(DesignationDetailView):
    """A supporting document, for whoever may see the designation; never inline."""

    def get(self, request, pk, document_id):
        designation = self.get_object()
        document = get_object_or_404(DesignationDocument, pk=document_id, designation=designation)
        return stored_upload_response(document)
