from .annual_review import AnnualReview
from .certificate import Certificate
from .decision import CertificateDecision
from .lookup_count import LookupCount
from .reconsideration import Reconsideration
from .request import CertificateRequest

__all__ = [
    "AnnualReview",
    "Certificate",
    "CertificateDecision",
    "CertificateRequest",
    "LookupCount",
    "Reconsideration",
]
