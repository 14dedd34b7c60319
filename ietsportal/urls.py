from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from applications import views as app_views
from applications.api.views import ApplicationViewSet, PublicityBatchViewSet, PublicityViewSet
from applications.views.batches import (
    PublicityBatchManageListView,
    PublicityBatchManageView,
    PublicityBatchPublishView,
)
from certificates import views as cert_views
from certificates import views_manage as cert_manage
from certificates.api.views import (
    CertificateViewSet,
    CredentialView,
    PublicCertificateViewSet,
    PublicKeysView,
    StatusListView,
)
from institutions.api import (
    AssessorViewSet,
    DesignationViewSet,
    ExpertViewSet,
    InstitutionViewSet,
    ManagedInstitutionViewSet,
    PublicAssessorViewSet,
)
from rubrics import views as rubric_views
from rubrics.api.views import ManagedRubricViewSet, RubricViewSet
from supervision.api.open_data import OpenDataCertificatesView
from supervision.api.views import CaseViewSet, PublicReportViewSet

from . import views
from .accounts import api as account_api
from .accounts import twofactor
from .accounts import views as account_views
from .notifications import views as notification_views

router = DefaultRouter()
# The public lookup first: the busiest API route is matched before every other (issue #8).
router.register("public/certificates", PublicCertificateViewSet, basename="public-certificate")
router.register("applications", ApplicationViewSet, basename="application")
router.register("certificates", CertificateViewSet, basename="certificate")
router.register("institutions", InstitutionViewSet, basename="institution")
router.register("public/assessors", PublicAssessorViewSet, basename="public-assessor")
router.register("designations", DesignationViewSet, basename="designation")
router.register("manage/institutions", ManagedInstitutionViewSet, basename="managed-institution")
router.register("assessors", AssessorViewSet, basename="assessor")
router.register("experts", ExpertViewSet, basename="expert")
router.register("public/publicity", PublicityViewSet, basename="publicity")
router.register(
    "public/publicity-batches", PublicityBatchViewSet, basename="public-publicity-batch"
)
router.register("public/rubrics", RubricViewSet, basename="public-rubric")
router.register("manage/rubrics", ManagedRubricViewSet, basename="managed-rubric")
router.register("cases", CaseViewSet, basename="case")
router.register("public/reports", PublicReportViewSet, basename="public-report")

api_patterns = [
    path("auth/token/", account_api.TokenView.as_view(), name="token"),
    path("auth/register/", account_api.RegisterView.as_view(), name="register"),
    path("public/keys/", PublicKeysView.as_view(), name="public-keys"),
    path(
        "public/certificates/<str:number>/credential/",
        CredentialView.as_view(),
        name="public-certificate-credential",
    ),
    path("public/status/<slug:purpose>/", StatusListView.as_view(), name="status-list"),
    path(
        "public/open-data/certificates.<slug:fmt>",
        OpenDataCertificatesView.as_view(),
        name="open-data-certificates",
    ),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    *router.urls,
    path("", include("selection.api.urls")),
]

application_patterns = [
    path("new/", app_views.ApplicationCreateView.as_view(), name="application-create"),
    path("<int:pk>/", app_views.ApplicationDetailView.as_view(), name="application-detail"),
    path(
        "<int:pk>/transitions/<slug:name>/",
        app_views.ApplicationTransitionView.as_view(),
        name="application-transition",
    ),
    path("<int:pk>/evidence/", app_views.EvidenceUploadView.as_view(), name="evidence-upload"),
    path(
        "<int:pk>/evidence/<int:evidence_id>/",
        app_views.EvidenceDownloadView.as_view(),
        name="evidence-download",
    ),
    path("<int:pk>/opinion/", app_views.ExpertOpinionView.as_view(), name="expert-opinion"),
    path(
        "<int:pk>/report.pdf",
        app_views.EvaluationReportPdfView.as_view(),
        name="report-pdf",
    ),
    path(
        "<int:pk>/declaration/",
        app_views.ExpertDeclarationView.as_view(),
        name="expert-declaration",
    ),
    path(
        "<int:pk>/objections/<int:objection_id>/dismiss/",
        app_views.ObjectionDismissView.as_view(),
        name="objection-dismiss",
    ),
]

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("healthz/", views.HealthView.as_view(), name="health"),
    path("healthz/cache/", views.cache_health, name="health-cache"),
    path("robots.txt", views.robots),
    path("favicon.ico", views.favicon),
    # The busiest routes first: Django tries the patterns in order (issue #8).
    path("verify/", cert_views.VerifyView.as_view(), name="verify"),
    path("verify/<str:number>/", cert_views.VerifyDetailView.as_view(), name="verify-detail"),
    path("api/v1/", include((api_patterns, "api"))),
    path("i18n/switch/", views.language_switch, name="language-switch"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/register/", account_views.RegisterView.as_view(), name="register"),
    path(
        "accounts/two-factor/",
        twofactor.TwoFactorSetupView.as_view(),
        name="two-factor-setup",
    ),
    path(
        "accounts/two-factor/verify/",
        twofactor.TwoFactorVerifyView.as_view(),
        name="two-factor-verify",
    ),
    path(
        "accounts/password-reset/",
        auth_views.PasswordResetView.as_view(),
        name="password_reset",
    ),
    path(
        "accounts/password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "accounts/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "accounts/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("workspace/", app_views.WorkspaceView.as_view(), name="workspace"),
    path("notifications/", views.NotificationListView.as_view(), name="notifications"),
    path(
        "center/notification-texts/",
        notification_views.NotificationTextListView.as_view(),
        name="notification-texts",
    ),
    path(
        "center/notification-texts/<str:key>/<str:language>/",
        notification_views.NotificationTextEditView.as_view(),
        name="notification-text",
    ),
    path("applications/", include((application_patterns, "applications"))),
    path("publicity/", app_views.PublicityListView.as_view(), name="publicity"),
    path("publicity/<int:pk>/", app_views.PublicityDetailView.as_view(), name="publicity-detail"),
    path(
        "publicity/batches/<int:pk>/",
        app_views.PublicityBatchDetailView.as_view(),
        name="publicity-batch",
    ),
    path(
        "center/publicity-batches/",
        PublicityBatchManageListView.as_view(),
        name="publicity-batches-manage",
    ),
    path(
        "center/publicity-batches/<int:pk>/",
        PublicityBatchManageView.as_view(),
        name="publicity-batch-manage",
    ),
    path(
        "center/publicity-batches/<int:pk>/publish/",
        PublicityBatchPublishView.as_view(),
        name="publicity-batch-publish",
    ),
    path("rubrics/", rubric_views.RubricListView.as_view(), name="rubrics"),
    path("rubrics/<int:pk>/", rubric_views.RubricDetailView.as_view(), name="rubric-detail"),
    path("", include("selection.urls")),
    path("", include("institutions.urls")),
    path("center/rubrics/", include("rubrics.urls")),
    path(
        "certificates/<str:number>/pdf/",
        cert_views.CertificatePdfView.as_view(),
        name="certificate-pdf",
    ),
    path(
        "certificates/<str:number>/",
        cert_manage.CertificateDetailView.as_view(),
        name="certificate-detail",
    ),
    path(
        "certificates/<str:number>/<slug:action>/",
        cert_manage.CertificateDetailView.as_view(),
        name="certificate-action",
    ),
    path(
        "certificates/<str:number>/<slug:action>/<int:obj_id>/",
        cert_manage.CertificateDetailView.as_view(),
        name="certificate-object-action",
    ),
    path("supervision/", include("supervision.urls")),
    path("admin/", admin.site.urls),
]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
