from .case import Case, CaseEvidence, CaseNote
from .export_job import ExportJob
from .record_audit import AuditFinding, RecordAudit

__all__ = ["AuditFinding", "Case", "CaseEvidence", "CaseNote", "ExportJob", "RecordAudit"]
