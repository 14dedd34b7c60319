from django.urls import path

from .views import audits, cases, dashboard, exports

app_name = "supervision"

urlpatterns = [
    path("cases/", cases.CaseListView.as_view(), name="case-list"),
    path("cases/new/", cases.CaseCreateView.as_view(), name="case-create"),
    path("cases/<int:pk>/", cases.CaseDetailView.as_view(), name="case-detail"),
    path(
        "cases/<int:pk>/evidence/<int:evidence_id>/",
        cases.CaseEvidenceDownloadView.as_view(),
        name="case-evidence",
    ),
    path("cases/<int:pk>/<slug:action>/", cases.CaseDetailView.as_view(), name="case-action"),
    path("report/", cases.ReportCreateView.as_view(), name="report"),
    path("receipt/", cases.ReceiptLookupView.as_view(), name="receipt"),
]

urlpatterns += [
    path("lists/<slug:name>/", exports.DatasetListView.as_view(), name="list"),
    path("exports/<slug:name>.<slug:fmt>", exports.ExportView.as_view(), name="export"),
    path("exports/jobs/<int:pk>/", exports.ExportJobView.as_view(), name="export-job"),
    path(
        "exports/jobs/<int:pk>/status/",
        exports.ExportJobStatusView.as_view(),
        name="export-job-status",
    ),
    path(
        "exports/jobs/<int:pk>/download/",
        exports.ExportJobDownloadView.as_view(),
        name="export-download",
    ),
]

urlpatterns += [path("dashboard/", dashboard.DashboardView.as_view(), name="dashboard")]

urlpatterns += [
    path("audits/", audits.RecordAuditListView.as_view(), name="audit-list"),
    path("audits/<int:pk>/", audits.RecordAuditDetailView.as_view(), name="audit-detail"),
    path(
        "audits/<int:pk>/<slug:action>/",
        audits.RecordAuditDetailView.as_view(),
        name="audit-action",
    ),
    path(
        "audits/<int:pk>/<slug:action>/<int:obj_id>/",
        audits.RecordAuditDetailView.as_view(),
        name="audit-object-action",
    ),
]
