from .annual_review import AnnualReview
from .certificate import Certificate
from .decision import CertificateDecision
from .request import CertificateRequest

__all__ = ["AnnualReview", "Certificate", "CertificateDecision", "CertificateRequest"]
