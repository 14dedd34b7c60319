from django.urls import path

from . import views

app_name = "selection"

urlpatterns = [
    path(
        "self-evaluations/",
        views.SelfEvaluationListView.as_view(),
        name="self-evaluation-list",
    ),
    path(
        "self-evaluations/<int:pk>/",
        views.SelfEvaluationDetailView.as_view(),
        name="self-evaluation-detail",
    ),
    path(
        "self-evaluations/<int:pk>/evidence/<int:evidence_id>/",
        views.SelfEvaluationEvidenceDownloadView.as_view(),
        name="self-evaluation-evidence",
    ),
    path(
        "self-evaluations/<int:pk>/<slug:action>/",
        views.SelfEvaluationActionView.as_view(),
        name="self-evaluation-action",
    ),
    path("selections/", views.SelectionListView.as_view(), name="selection-list"),
    path(
        "selections/invitations/<int:pk>/",
        views.InvitationDetailView.as_view(),
        name="invitation-detail",
    ),
    path("selections/<int:pk>/", views.SelectionDetailView.as_view(), name="selection-detail"),
    path(
        "selections/<int:pk>/export.<slug:fmt>",
        views.SelectionExportView.as_view(),
        name="selection-export",
    ),
    path(
        "selections/<int:pk>/<slug:action>/",
        views.SelectionActionView.as_view(),
        name="selection-action",
    ),
]
