"""The public directories (R§13–14): institutions and registered assessors, HTML and CSV."""

import csv

from django.db.models import Q
from django.http import HttpResponse
from django.views import View
from django.views.generic import DetailView, ListView

from ietsportal.accounts.regions import REGION_CHOICES

from ..enums import InstitutionLevel
from ..models import Assessor, Institution
from ..selectors import with_staffing


def _query(params) -> str:
    """The search text: at most 100 characters, no NUL (PostgreSQL refuses it)."""
    return (params.get("q") or "").replace("\x00", "").strip()[:100]


def directory_institutions(params):
    qs = Institution.objects.in_directory()
    q = _query(params)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(uscc__iexact=q))
    if params.get("level") in InstitutionLevel.values:
        qs = qs.filter(level=params["level"])
    if params.get("region") in dict(REGION_CHOICES):
        qs = qs.filter(region=params["region"])
    return with_staffing(qs).order_by("-level", "name", "pk")


def directory_assessors(params):
    qs = Assessor.objects.published().select_related("institution", "user")
    q = _query(params)
    if q:
        qs = qs.filter(
            Q(full_name__icontains=q)
            | Q(registration_number__iexact=q)
            | Q(institution__name__icontains=q)
        )
    institution = params.get("institution") or ""
    if institution.isascii() and institution.isdigit() and len(institution) <= 9:
        qs = qs.filter(institution_id=int(institution))
    return qs.order_by("institution__name", "registration_number", "pk")


class InstitutionDirectoryView(ListView):
    """R§13(3): approved institutions are published; suspended ones are shown as such."""

    template_name = "institutions/directory.html"
    context_object_name = "institutions"
    paginate_by = 20

    def get_queryset(self):
        return directory_institutions(self.request.GET)

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "query": self.request.GET.get("q", ""),
            "level": self.request.GET.get("level", ""),
            "region": self.request.GET.get("region", ""),
            "levels": InstitutionLevel.choices,
            "regions": REGION_CHOICES,
        }


class InstitutionPublicView(DetailView):
    template_name = "institutions/public_detail.html"
    context_object_name = "institution"

    def get_queryset(self):
        return with_staffing(Institution.objects.in_directory())

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "assessors": Assessor.objects.published()
            .filter(institution=self.object)
            .order_by("registration_number"),
        }


class AssessorDirectoryView(ListView):
    """R§14(3): registered assessors are published, personal data masked."""

    template_name = "institutions/assessor_directory.html"
    context_object_name = "assessors"
    paginate_by = 50

    def get_queryset(self):
        return directory_assessors(self.request.GET)

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "query": self.request.GET.get("q", "")}


def _csv(name, header, rows):
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response.write("\ufeff")  # so that spreadsheet programs read UTF-8
    writer = csv.writer(response)
    writer.writerow(header)
    writer.writerows(rows)
    return response


class InstitutionCsvView(View):
    """Open data: the institution directory as CSV."""

    def get(self, request):
        rows = (
            [
                i.name,
                i.uscc,
                i.level,
                i.region,
                i.state,
                (i.state_changed_at or i.approved_at).date().isoformat()
                if (i.state_changed_at or i.approved_at)
                else "",
                i.n_registered,
            ]
            for i in directory_institutions(request.GET)
        )
        header = ["name", "uscc", "level", "region", "state", "since", "registered_assessors"]
        return _csv("institutions.csv", header, rows)


class AssessorCsvView(View):
    """Open data: the registered assessors as CSV (masked personal data)."""

    def get(self, request):
        rows = (
            [
                a.registration_number,
                a.full_name,
                a.id_number_masked,
                a.institution.name,
                a.institution.uscc,
                a.state,
                a.registered_at.date().isoformat() if a.registered_at else "",
            ]
            for a in directory_assessors(request.GET)
        )
        header = [
            "registration_number",
            "name",
            "id_number_masked",
            "institution",
            "institution_uscc",
            "state",
            "registered_on",
        ]
        return _csv("assessors.csv", header, rows)
