from .assessor import Assessor
from .designation import Designation, DesignationOpinion
from .expert import ConflictDeclaration, Expert
from .institution import Institution
from .supervision import SupervisionAction

__all__ = [
    "Assessor",
    "ConflictDeclaration",
    "Designation",
    "DesignationOpinion",
    "Expert",
    "Institution",
    "SupervisionAction",
]
