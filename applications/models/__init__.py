from .application import Application
from .criterion_score import CriterionScore
from .evidence import Evidence
from .expert_review import ExpertReview
from .material_request import MaterialRequest
from .objection import Objection

__all__ = [
    "Application",
    "CriterionScore",
    "Evidence",
    "ExpertReview",
    "MaterialRequest",
    "Objection",
]
