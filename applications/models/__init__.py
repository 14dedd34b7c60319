from .application import Application
from .evidence import Evidence
from .expert_review import ExpertReview
from .objection import Objection

__all__ = ["Application", "Evidence", "ExpertReview", "Objection"]
