from django.urls import path

from .views import designation, experts, manage, public

app_name = "institutions"

urlpatterns = [
    # public directories (R§13–14)
    path("institutions/", public.InstitutionDirectoryView.as_view(), name="institution-directory"),
    path(
        "institutions/open-data.csv",
        public.InstitutionCsvView.as_view(),
        name="institution-csv",
    ),
    path(
        "institutions/<int:pk>/",
        public.InstitutionPublicView.as_view(),
        name="institution-public",
    ),
    path("assessors/", public.AssessorDirectoryView.as_view(), name="assessor-directory"),
    path("assessors/open-data.csv", public.AssessorCsvView.as_view(), name="assessor-csv"),
    # designation (R§7, R§13)
    path(
        "institutions/designations/",
        designation.DesignationListView.as_view(),
        name="designation-list",
    ),
    path(
        "institutions/designations/new/",
        designation.DesignationCreateView.as_view(),
        name="designation-create",
    ),
    path(
        "institutions/designations/<int:pk>/",
        designation.DesignationDetailView.as_view(),
        name="designation-detail",
    ),
    path(
        "institutions/designations/<int:pk>/documents/<int:document_id>/",
        designation.DesignationDocumentDownloadView.as_view(),
        name="designation-document",
    ),
    path(
        "institutions/designations/<int:pk>/<slug:action>/",
        designation.DesignationActionView.as_view(),
        name="designation-action",
    ),
    # the institution's pages and supervision (R§8, R§10–12, R§16)
    path(
        "institutions/<int:pk>/manage/",
        manage.InstitutionManageView.as_view(),
        name="institution-manage",
    ),
    path(
        "institutions/<int:pk>/manage/<slug:action>/",
        manage.InstitutionActionView.as_view(),
        name="institution-action",
    ),
    path(
        "institutions/assessors/nominate/",
        manage.AssessorNominateView.as_view(),
        name="assessor-nominate",
    ),
    path(
        "institutions/assessors/<int:pk>/",
        manage.AssessorDetailView.as_view(),
        name="assessor-detail",
    ),
    path(
        "institutions/assessors/<int:pk>/<slug:action>/",
        manage.AssessorActionView.as_view(),
        name="assessor-action",
    ),
    path(
        "institutions/supervision/<int:pk>/files/<int:file_id>/",
        manage.SupervisionEvidenceDownloadView.as_view(),
        name="supervision-evidence",
    ),
    path(
        "institutions/participation/",
        manage.ParticipationView.as_view(),
        name="participation",
    ),
    # the expert pool (M§8)
    path("institutions/experts/", experts.ExpertListView.as_view(), name="expert-list"),
    path("institutions/experts/new/", experts.ExpertCreateView.as_view(), name="expert-create"),
    path(
        "institutions/experts/<int:pk>/",
        experts.ExpertDetailView.as_view(),
        name="expert-detail",
    ),
    path(
        "institutions/experts/<int:pk>/<slug:action>/",
        experts.ExpertActionView.as_view(),
        name="expert-action",
    ),
]
