from .detail import (
    ApplicationDetailView,
    ApplicationTransitionView,
    EvaluationReportPdfView,
    EvidenceDownloadView,
    EvidenceUploadView,
    ExpertDeclarationView,
    ExpertOpinionView,
    ObjectionDismissView,
)
from .drafts import ApplicationCreateView
from .publicity import PublicityBatchDetailView, PublicityDetailView, PublicityListView
from .workspace import WorkspaceView

__all__ = [
    "ApplicationCreateView",
    "ApplicationDetailView",
    "ApplicationTransitionView",
    "EvaluationReportPdfView",
    "EvidenceDownloadView",
    "EvidenceUploadView",
    "ExpertDeclarationView",
    "ExpertOpinionView",
    "ObjectionDismissView",
    "PublicityBatchDetailView",
    "PublicityDetailView",
    "PublicityListView",
    "WorkspaceView",
]
