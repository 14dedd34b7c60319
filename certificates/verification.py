"""M§18: what the verification page checks, as separate steps with one verdict."""

from dataclasses import dataclass, field
from datetime import date

from django.utils.translation import gettext_lazy as _

from .enums import CertificateStatus
from .signing import certificate_facts, verify_token

VERDICTS = {
    "genuine": _("Genuine and valid: this certificate is in force."),
    "tampered": _("Not genuine: the code was altered or is not one this portal issued."),
    "unknown": _("Not genuine: no certificate with this number was issued."),
    "mismatch": _("Not genuine: the facts in the code differ from the register."),
    "suspended": _("Genuine, but suspended: it is not in force now."),
    "revoked": _("Genuine, but revoked: it is no longer in force."),
    "expired": _("Genuine, but expired: its validity has ended."),
    "replaced": _("Genuine, but replaced by a newer certificate."),
    "superseded": _(
        "Genuine, but this copy is superseded by a newer version of the same certificate."
    ),
    "not_yet": _("Genuine, but not valid yet."),
}


@dataclass
class Step:
    name: str
    label: str
    passed: bool | None  # None: not checked because an earlier step failed


@dataclass
class Verification:
    verdict: str
    steps: list[Step] = field(default_factory=list)

    @property
    def message(self) -> str:
        return str(VERDICTS[self.verdict])

    @property
    def genuine(self) -> bool:
        return self.verdict == "genuine"


STEP_LABELS = {
    "intact": _("The code is intact"),
    "signed": _("Signed by this portal's key"),
    "registered": _("Matches the register"),
    "status": _("Status is valid"),
    "validity": _("Within its validity period"),
    "latest": _("This is the latest version"),
}


def verify_presented(*, number: str, token: str, certificate, today: date) -> Verification:
    """Check a presented certificate (its QR token) step by step against the register."""
    results: dict[str, bool | None] = dict.fromkeys(STEP_LABELS)
    verdict = "genuine"
    checked = verify_token(token)
    results["intact"] = checked.well_formed
    if not checked.well_formed:
        verdict = "tampered"
    else:
        results["signed"] = checked.signed_by_portal and checked.facts.get("n") == number
        if not results["signed"]:
            verdict = "tampered"
        elif certificate is None:
            results["registered"] = False
            verdict = "unknown"
    if verdict == "genuine":
        facts = checked.facts
        current = certificate_facts(certificate)
        older = facts["v"] < current["v"]
        same = {k: v for k, v in facts.items() if k != "v"} == {
            k: v for k, v in current.items() if k != "v"
        }
        results["registered"] = facts["v"] <= current["v"] and (same or older)
        if not results["registered"]:
            verdict = "mismatch"
        else:
            status = certificate.status
            results["status"] = status == CertificateStatus.VALID
            issued, expires = date.fromisoformat(facts["i"]), date.fromisoformat(facts["e"])
            results["validity"] = issued <= today <= expires
            results["latest"] = not older
            if status != CertificateStatus.VALID:
                verdict = status
            elif not results["latest"]:
                verdict = "superseded"
            elif not results["validity"]:
                verdict = "expired" if today > expires else "not_yet"
    return Verification(
        verdict=verdict,
        steps=[Step(name, str(STEP_LABELS[name]), results[name]) for name in STEP_LABELS],
    )
