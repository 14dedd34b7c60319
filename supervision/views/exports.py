"""Filtered lists and their exports (CSV, XLSX); long exports as jobs with a progress bar."""

from urllib.parse import urlencode

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import FileResponse, Http404, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views import View

from ietsportal.errors import DomainError

from ..conf import setting
from ..enums import ExportState
from ..exports import csv_lines, dataset, export_filename, xlsx_temporary
from ..models import ExportJob
from ..services_exports import FORMATS, export_job_create

PAGE = 50


class DatasetListView(LoginRequiredMixin, View):
    """A filtered list (the dashboard's numbers link here) with its export links. Rows are in
    the user's scope (`for_user`)."""

    template_name = "supervision/list.html"

    def get(self, request, name):
        ds = dataset(name)
        error = None
        try:
            qs = ds.queryset(request.user, request.GET)
        except DomainError as exc:
            error, qs = str(exc.message), ds.model.objects.none()
        try:
            page = max(1, int(request.GET.get("page", "1")))
        except ValueError:
            page = 1
        total = qs.count()
        rows = list(ds.rows(qs, slice((page - 1) * PAGE, page * PAGE))) if total else []
        active = ds.active_filters(request.GET)
        query = urlencode(active)
        return render(
            request,
            self.template_name,
            {
                "ds": ds,
                "headers": ds.headers,
                "rows": rows,
                "total": total,
                "page": page,
                "has_next": page * PAGE < total,
                "active": active,
                "filters": [(k, f) for k, f in ds.filters.items()],
                "query": query,
                "error": error,
            },
            status=400 if error else 200,
        )


class ExportView(LoginRequiredMixin, View):
    """CSV streamed row by row, XLSX from a temporary file; above the threshold a job."""

    def get(self, request, name, fmt):
        if fmt not in FORMATS:
            raise Http404
        ds = dataset(name)
        try:
            qs = ds.queryset(request.user, request.GET)
        except DomainError as exc:
            return render(
                request,
                "error.html",
                {"status": exc.status_code, "message": exc.message},
                status=exc.status_code,
            )
        total = qs.count()
        now = timezone.now()
        if total > setting("EXPORT_ASYNC_THRESHOLD"):
            job = export_job_create(
                actor=request.user, name=name, fmt=fmt, params=request.GET, total=total, now=now
            )
            return redirect("supervision:export-job", pk=job.pk)
        filename = export_filename(ds, fmt, now)
        if fmt == "csv":
            response = StreamingHttpResponse(
                csv_lines(ds.headers, ds.rows(qs)), content_type="text/csv; charset=utf-8"
            )
            response["Content-Disposition"] = f'attachment; filename="{filename}"'
        else:
            response = FileResponse(
                xlsx_temporary(ds.headers, ds.rows(qs)),
                as_attachment=True,
                filename=filename,
                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            )
        response["X-Export-Rows"] = str(total)
        response["X-Content-Type-Options"] = "nosniff"
        return response


def _job(request, pk):
    return get_object_or_404(ExportJob, pk=pk, created_by=request.user)


class ExportJobView(LoginRequiredMixin, View):
    def get(self, request, pk):
        job = _job(request, pk)
        return render(
            request, "supervision/export_job.html", {"job": job, "ds": dataset(job.dataset)}
        )


class ExportJobStatusView(LoginRequiredMixin, View):
    def get(self, request, pk):
        job = _job(request, pk)
        done = job.state == ExportState.DONE
        return JsonResponse(
            {
                "state": job.state,
                "state_display": str(job.get_state_display()),
                "progress": job.progress,
                "rows": job.total,
                "done": job.done,
                "download_url": reverse("supervision:export-download", args=[job.pk])
                if done
                else None,
            }
        )


class ExportJobDownloadView(LoginRequiredMixin, View):
    def get(self, request, pk):
        job = _job(request, pk)
        if job.state != ExportState.DONE or not job.file:
            raise Http404
        response = FileResponse(
            job.file.open("rb"), as_attachment=True, filename=job.file.name.rsplit("/", 1)[-1]
        )
        response["X-Content-Type-Options"] = "nosniff"
        return response
