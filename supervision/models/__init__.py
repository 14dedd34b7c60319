from .case import Case, CaseEvidence, CaseNote
from .export_job import ExportJob

__all__ = ["Case", "CaseEvidence", "CaseNote", "ExportJob"]
