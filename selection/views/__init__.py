from .selections import (
    InvitationDetailView,
    SelectionActionView,
    SelectionDetailView,
    SelectionExportView,
    SelectionListView,
)
from .self_evaluations import (
    SelfEvaluationActionView,
    SelfEvaluationDetailView,
    SelfEvaluationEvidenceDownloadView,
    SelfEvaluationListView,
)

__all__ = [
    "InvitationDetailView",
    "SelectionActionView",
    "SelectionDetailView",
    "SelectionExportView",
    "SelectionListView",
    "SelfEvaluationActionView",
    "SelfEvaluationDetailView",
    "SelfEvaluationEvidenceDownloadView",
    "SelfEvaluationListView",
]
