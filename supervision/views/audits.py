"""Record audits (M§24): the center's pages."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _g
from django.views.generic import DetailView, ListView

from ietsportal.errors import DomainError, InvalidInput
from ietsportal.views import TenantScopedMixin

from .. import record_audits as ra
from ..forms import ConclusionForm, FindingForm, RecordAuditForm
from ..models import RecordAudit


def _valid(form):
    if not form.is_valid():
        raise InvalidInput(" ".join(e for errors in form.errors.values() for e in errors))
    return form.cleaned_data


class RecordAuditListView(TenantScopedMixin, ListView):
    model = RecordAudit
    template_name = "supervision/audit_list.html"
    context_object_name = "audits"
    paginate_by = 50

    def get(self, request, *args, **kwargs):
        if not request.user.is_center_staff:
            raise Http404
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return super().get_queryset().select_related("institution", "opened_by")

    def get_context_data(self, **kwargs):
        return {"form": RecordAuditForm(), **super().get_context_data(**kwargs)}

    def post(self, request):
        if not request.user.is_center_staff:
            raise Http404
        form = RecordAuditForm(request.POST)
        try:
            data = _valid(form)
            audit = ra.record_audit_open(
                actor=request.user,
                institution_id=data["institution"].pk,
                period_start=data["period_start"],
                period_end=data["period_end"],
                now=timezone.now(),
            )
        except DomainError as exc:
            self.object_list = self.get_queryset()
            context = self.get_context_data(form=form, error=str(exc.message))
            return render(request, self.template_name, context, status=exc.status_code)
        return redirect("supervision:audit-detail", pk=audit.pk)


def _verify(request, audit, obj_id):
    ra.record_audit_chain_recheck(audit_id=audit.pk, actor=request.user, now=timezone.now())


def _finding(request, audit, obj_id):
    form = FindingForm(request.POST, applications=ra.audited_applications(audit))
    data = _valid(form)
    ra.record_audit_finding_add(
        audit_id=audit.pk,
        actor=request.user,
        text=data["text"],
        application_id=data["application"],
        now=timezone.now(),
    )


def _finding_case(request, audit, obj_id):
    if not audit.findings.filter(pk=obj_id).exists():
        raise Http404
    ra.record_audit_finding_case(finding_id=obj_id, actor=request.user, now=timezone.now())


def _close(request, audit, obj_id):
    data = _valid(ConclusionForm(request.POST))
    ra.record_audit_close(
        audit_id=audit.pk, actor=request.user, conclusion=data["conclusion"], now=timezone.now()
    )


ACTIONS = {"verify": _verify, "finding": _finding, "finding-case": _finding_case, "close": _close}


class RecordAuditDetailView(TenantScopedMixin, DetailView):
    model = RecordAudit
    template_name = "supervision/audit_detail.html"
    context_object_name = "audit"

    def get_queryset(self):
        return super().get_queryset().select_related("institution", "opened_by", "closed_by")

    def get_context_data(self, error=None, **kwargs):
        audit = self.object
        rows = ra.record_audit_checklist(audit)
        return {
            **super().get_context_data(**kwargs),
            "error": error,
            "rows": rows,
            "complete": sum(1 for r in rows if r.complete),
            "findings": list(audit.findings.select_related("application", "case")),
            "finding_form": FindingForm(applications=[r.application for r in rows])
            if audit.is_open
            else None,
            "close_form": ConclusionForm() if audit.is_open else None,
        }

    def post(self, request, pk, action, obj_id=None):
        self.object = self.get_object()
        handler = ACTIONS.get(action)
        if handler is None:
            raise Http404
        try:
            handler(request, self.object, obj_id)
        except DomainError as exc:
            self.object.refresh_from_db()
            context = self.get_context_data(error=str(exc.message), object=self.object)
            return render(request, self.template_name, context, status=exc.status_code)
        messages.success(request, _g("Done."))
        return redirect("supervision:audit-detail", pk=self.object.pk)
