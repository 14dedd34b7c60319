from .project import Candidate, SelectionProject
from .self_evaluation import SelfEvaluation, SelfEvaluationEvidence, SelfEvaluationScore

__all__ = [
    "Candidate",
    "SelectionProject",
    "SelfEvaluation",
    "SelfEvaluationEvidence",
    "SelfEvaluationScore",
]
