"""Case pages (M§23–26): the filer's and the center's, and the public report and receipt."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _g
from django.views import View
from django.views.generic import DetailView, ListView
from django_ratelimit.decorators import ratelimit

from ietsportal.accounts.enums import Role
from ietsportal.errors import DomainError, InvalidInput
from ietsportal.uploads import stored_upload_response
from ietsportal.views import TenantScopedMixin

from .. import services
from ..enums import CaseKind, CaseState
from ..forms import (
    CaseForm,
    DecideForm,
    EvidenceForm,
    NoteForm,
    ReceiptForm,
    ReportForm,
    StartForm,
)
from ..models import Case, CaseEvidence


def public_rate(group, request):
    return settings.PUBLIC_LOOKUP_RATE


# Public pages that write or look up by a secret: limited per address like the lookups.
rate_limited_post = method_decorator(
    ratelimit(group="case-public", key="ip", rate=public_rate, method="POST", block=True),
    name="post",
)


def _valid(form):
    if not form.is_valid():
        raise InvalidInput(" ".join(e for errors in form.errors.values() for e in errors))
    return form.cleaned_data


class CaseListView(TenantScopedMixin, ListView):
    """The center's case list (filter by state and kind); a filer's own cases."""

    model = Case
    template_name = "supervision/case_list.html"
    context_object_name = "cases"
    paginate_by = 50

    def get_queryset(self):
        qs = super().get_queryset().select_related("owner", "filer")
        self.filters = {}
        state = self.request.GET.get("state", "")
        if state == "open":
            qs = qs.open()
            self.filters["state"] = state
        elif state in CaseState.values:
            qs = qs.filter(state=state)
            self.filters["state"] = state
        kind = self.request.GET.get("kind", "")
        if kind in CaseKind.values:
            qs = qs.filter(kind=kind)
            self.filters["kind"] = kind
        return qs

    def get_context_data(self, **kwargs):
        from urllib.parse import urlencode

        return {
            **super().get_context_data(**kwargs),
            "states": CaseState.choices,
            "kinds": CaseKind.choices,
            "filters": self.filters,
            "query": urlencode(self.filters),
            "today": timezone.localdate(),
            "reconsiderations": _forwarded_reconsiderations(self.request.user),
        }


def _forwarded_reconsiderations(user):
    """M§20: certificate reconsiderations waiting for the center are decided on the
    certificate's page; the case list points there rather than duplicating them."""
    if not user.is_center_staff:
        return []
    from certificates.enums import ReconsiderationState
    from certificates.models import Reconsideration

    return list(
        Reconsideration.objects.filter(state=ReconsiderationState.FORWARDED).select_related(
            "decision__certificate"
        )
    )


class CaseCreateView(LoginRequiredMixin, View):
    template_name = "supervision/case_form.html"

    def get(self, request):
        initial = {
            k: request.GET[k] for k in ("kind", "subject_kind", "reference") if k in request.GET
        }
        return render(request, self.template_name, {"form": CaseForm(initial=initial)})

    def post(self, request):
        form = CaseForm(request.POST, request.FILES)
        try:
            data = _valid(form)
            case, _code = services.case_file(
                actor=request.user,
                kind=data["kind"],
                subject_kind=data["subject_kind"],
                reference=data["reference"],
                summary=data["summary"],
                details=data["details"],
                evidence=[data["evidence"]] if data["evidence"] else [],
                now=timezone.now(),
            )
        except DomainError as exc:
            return render(
                request,
                self.template_name,
                {"form": form, "error": str(exc.message)},
                status=exc.status_code,
            )
        messages.success(
            request, _g("Your case %(number)s was received.") % {"number": case.number}
        )
        return redirect("supervision:case-detail", pk=case.pk)


def _start(request, case):
    data = _valid(StartForm(request.POST, owners=_owners()))
    services.case_start(
        case_id=case.pk, actor=request.user, owner_id=data["owner"], now=timezone.now()
    )


def _note(request, case):
    data = _valid(NoteForm(request.POST))
    services.case_note_add(
        case_id=case.pk,
        actor=request.user,
        text=data["text"],
        internal=data["internal"],
        now=timezone.now(),
    )


def _evidence(request, case):
    data = _valid(EvidenceForm(request.POST, request.FILES))
    services.case_evidence_add(
        case_id=case.pk, actor=request.user, upload=data["file"], now=timezone.now()
    )


def _decide(request, case):
    form = DecideForm(request.POST, actions=services.case_actions_available(case))
    data = _valid(form)
    services.case_decide(
        case_id=case.pk,
        actor=request.user,
        upheld=data["upheld"],
        reply=data["reply"],
        actions=data["actions"],
        now=timezone.now(),
    )


ACTIONS = {"start": _start, "note": _note, "evidence": _evidence, "decide": _decide}


def _owners():
    return get_user_model().objects.filter(role=Role.CENTER_STAFF, is_active=True)


class CaseDetailView(TenantScopedMixin, DetailView):
    model = Case
    template_name = "supervision/case_detail.html"
    context_object_name = "case"

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .select_related(
                "filer",
                "owner",
                "decided_by",
                "application",
                "certificate",
                "institution",
                "assessor__user",
                "reconsideration",
            )
        )

    def get_context_data(self, error=None, **kwargs):
        case, user = self.object, self.request.user
        center = user.is_center_staff
        notes = case.notes.select_related("author")
        if not center:
            notes = notes.filter(internal=False)
        return {
            **super().get_context_data(**kwargs),
            "error": error,
            "is_center": center,
            "notes": list(notes),
            "evidence": list(case.evidence.all()),
            "note_form": NoteForm() if case.is_open else None,
            "evidence_form": EvidenceForm() if case.is_open else None,
            "start_form": StartForm(owners=_owners())
            if center and case.state == "received"
            else None,
            "decide_form": DecideForm(actions=services.case_actions_available(case))
            if center and case.state == "in_progress"
            else None,
            "overdue": case.is_open and case.deadline < timezone.localdate(),
            "actions_taken": [
                (
                    services.ACTIONS[a["action"]].label
                    if a.get("action") in services.ACTIONS
                    else a.get("action"),
                    a.get("certificate") or a.get("application") or "",
                )
                for a in case.actions
            ],
        }

    def post(self, request, pk, action):
        self.object = self.get_object()
        handler = ACTIONS.get(action)
        if handler is None:
            raise Http404
        try:
            handler(request, self.object)
        except DomainError as exc:
            self.object.refresh_from_db()
            return render(
                request,
                self.template_name,
                self.get_context_data(error=str(exc.message), object=self.object),
                status=exc.status_code,
            )
        messages.success(request, _g("Done."))
        return redirect("supervision:case-detail", pk=self.object.pk)


class CaseEvidenceDownloadView(TenantScopedMixin, View):
    model = Case

    def get(self, request, pk, evidence_id):
        case = get_object_or_404(self.get_queryset(), pk=pk)
        evidence = get_object_or_404(CaseEvidence, pk=evidence_id, case=case)
        return stored_upload_response(evidence)


@rate_limited_post
class ReportCreateView(View):
    """M§23: anyone reports misconduct (举报), anonymously if they wish; the page shows the
    receipt code once."""

    template_name = "supervision/report_form.html"

    def get(self, request):
        return render(request, self.template_name, {"form": ReportForm()})

    def post(self, request):
        form = ReportForm(request.POST, request.FILES)
        try:
            data = _valid(form)
            case, code = services.case_file(
                actor=request.user if request.user.is_authenticated else None,
                kind=CaseKind.REPORT,
                subject_kind=data["subject_kind"],
                reference=data["reference"],
                summary=data["summary"],
                details=data["details"],
                filer_name=data["filer_name"],
                filer_contact=data["filer_contact"],
                evidence=[data["evidence"]] if data["evidence"] else [],
                now=timezone.now(),
            )
        except DomainError as exc:
            return render(
                request,
                self.template_name,
                {"form": form, "error": str(exc.message)},
                status=exc.status_code,
            )
        response = render(request, "supervision/report_received.html", {"case": case, "code": code})
        response["Cache-Control"] = "no-store"
        return response


@rate_limited_post
class ReceiptLookupView(View):
    """The anonymous reporter follows the case with the receipt code (POST: the code never
    appears in a URL or a log)."""

    template_name = "supervision/receipt.html"

    def get(self, request):
        return render(request, self.template_name, {"form": ReceiptForm()})

    def post(self, request):
        form = ReceiptForm(request.POST)
        try:
            data = _valid(form)
            case = services.case_by_receipt(data["code"])
        except DomainError as exc:
            return render(
                request,
                self.template_name,
                {"form": form, "error": str(exc.message)},
                status=exc.status_code,
            )
        response = render(
            request,
            self.template_name,
            {
                "form": ReceiptForm(),
                "case": case,
                "notes": list(case.notes.filter(internal=False)),
            },
        )
        response["Cache-Control"] = "no-store"
        return response
