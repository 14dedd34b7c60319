from .detail import (
    ApplicationDetailView,
    ApplicationTransitionView,
    EvidenceDownloadView,
    EvidenceUploadView,
    ExpertOpinionView,
    ObjectionDismissView,
)
from .drafts import ApplicationCreateView
from .publicity import PublicityDetailView, PublicityListView
from .workspace import WorkspaceView

__all__ = [
    "ApplicationCreateView",
    "ApplicationDetailView",
    "ApplicationTransitionView",
    "EvidenceDownloadView",
    "EvidenceUploadView",
    "ExpertOpinionView",
    "ObjectionDismissView",
    "PublicityDetailView",
    "PublicityListView",
    "WorkspaceView",
]
