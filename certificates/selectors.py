from django.utils.translation import gettext_lazy as _

from ietsportal.audit.models import AuditEntry

PUBLIC_EVENTS = {
    "certificate.issue": _("Issued"),
    "certificate.suspend": _("Suspended"),
    "certificate.reinstate": _("Suspension lifted"),
    "certificate.revoke": _("Revoked"),
    "certificate.expire": _("Expired"),
    "certificate.replace": _("Replaced by a newer certificate"),
    "certificate.change": _("Reissued after a change (换发)"),
    "certificate.reissue": _("Replacement copy issued (补发)"),
}


def certificate_public_history(certificate) -> list[dict]:
    """What the public may know of a certificate's life: events and dates, never reasons."""
    entries = AuditEntry.objects.filter(
        object_type="certificates.certificate",
        object_id=str(certificate.pk),
        action__in=list(PUBLIC_EVENTS),
    ).order_by("seq")
    return [
        {
            "event": e.action.removeprefix("certificate."),
            "label": str(PUBLIC_EVENTS[e.action]),
            "at": e.created_at,
        }
        for e in entries.only("action", "created_at")
    ]
