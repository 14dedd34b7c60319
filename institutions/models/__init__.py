from .assessor import Assessor
from .designation import Designation, DesignationDocument, DesignationOpinion
from .expert import ConflictDeclaration, Expert
from .institution import Institution
from .supervision import SupervisionAction, SupervisionEvidence

__all__ = [
    "Assessor",
    "ConflictDeclaration",
    "Designation",
    "DesignationDocument",
    "DesignationOpinion",
    "Expert",
    "Institution",
    "SupervisionAction",
    "SupervisionEvidence",
]
