from .application import Application
from .criterion_score import CriterionScore
from .evidence import Evidence
from .expert_review import ExpertReview
from .material_request import MaterialRequest
from .objection import Objection
from .publicity_batch import PublicityBatch

__all__ = [
    "Application",
    "CriterionScore",
    "Evidence",
    "ExpertReview",
    "MaterialRequest",
    "Objection",
    "PublicityBatch",
]
