from datetime import datetime

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from applications.enums import EvaluationKind
from ietsportal.audit.services import audit_record, audit_records_bulk

from .enums import CertificateStatus
from .models import Certificate


def certificate_number_for(application) -> str:
    prefix = "IETS" if application.kind == EvaluationKind.GRADE else "ITAI"
    return f"{prefix}-{application.publicity_ends_at.year}-{application.pk:06d}"


def certificate_create_for(*, application, actor, now: datetime) -> Certificate:
    """M§14(5), M§15: one certificate per application, valid for 3 years from its issue.

    Runs inside the issue transition's transaction; the OneToOne column makes a second
    certificate for the same application impossible however the job is run."""
    issued_on = timezone.localdate(now)
    try:
        with transaction.atomic():
            certificate = Certificate.objects.create(
                number=certificate_number_for(application),
                application=application,
                organization_id=application.organization_id,
                institution_id=application.institution_id,
                kind=application.kind,
                grade=application.final_grade if application.kind == EvaluationKind.GRADE else "",
                issued_on=issued_on,
                expires_on=issued_on + relativedelta(years=settings.CERTIFICATE_VALIDITY_YEARS),
                status=CertificateStatus.VALID,
                status_changed_at=now,
            )
    except IntegrityError as exc:
        from django.utils.translation import gettext as _g

        from ietsportal.errors import Conflict

        raise Conflict(_g("A certificate already exists for this application.")) from exc
    queue_pdf_render(certificate.pk)
    audit_record(
        actor=actor,
        action="certificate.issue",
        obj=certificate,
        now=now,
        data={
            "number": certificate.number,
            "application": application.number,
            "grade": certificate.grade,
            "expires_on": certificate.expires_on,
        },
    )
    return certificate


def certificates_expire_due(*, now: datetime) -> int:
    """M§17: every valid certificate whose validity has ended lapses — set-based, idempotent."""
    today = timezone.localdate(now)
    with transaction.atomic():
        due = list(
            Certificate.objects.select_for_update(skip_locked=True)
            .filter(status=CertificateStatus.VALID, expires_on__lt=today)
            .values_list("pk", "number")
        )
        if not due:
            return 0
        Certificate.objects.filter(
            pk__in=[pk for pk, _ in due], status=CertificateStatus.VALID
        ).update(status=CertificateStatus.EXPIRED, status_changed_at=now)
        audit_records_bulk(
            actor=None,
            action="certificate.expire",
            model=Certificate,
            items=[(pk, {"number": number}) for pk, number in due],
            now=now,
        )
    return len(due)


def _certificate_change(*, number: str, actor, reason: str, now: datetime, method: str):
    from django.utils.translation import gettext as _g

    from ietsportal.errors import Conflict, InvalidInput, NotFound

    if actor is None or not actor.is_center_staff:
        raise NotFound()
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_g("Reason is required."), field="reason")
    with transaction.atomic():
        certificate = Certificate.objects.select_for_update().filter(number=number).first()
        if certificate is None:
            raise NotFound()
        from django_fsm import can_proceed

        if not can_proceed(getattr(certificate, method)):
            raise Conflict(
                _g("Not possible while the certificate is “%(status)s”.")
                % {"status": certificate.get_status_display()}
            )
        source = certificate.status
        getattr(certificate, method)()
        certificate.status_changed_at = now
        certificate.save()
        audit_record(
            actor=actor,
            action=f"certificate.{method}",
            obj=certificate,
            now=now,
            data={"from": source, "to": certificate.status, "reason": reason},
        )
    return certificate


def certificate_suspend(*, number: str, actor, reason: str, now: datetime) -> Certificate:
    """M§19: the center suspends a certificate, with its reason."""
    return _certificate_change(number=number, actor=actor, reason=reason, now=now, method="suspend")


def certificate_reinstate(*, number: str, actor, reason: str, now: datetime) -> Certificate:
    """M§19: the center lifts a suspension."""
    return _certificate_change(
        number=number, actor=actor, reason=reason, now=now, method="reinstate"
    )


def certificate_revoke(*, number: str, actor, reason: str, now: datetime) -> Certificate:
    """M§19: the center revokes a certificate, with its reason."""
    return _certificate_change(number=number, actor=actor, reason=reason, now=now, method="revoke")


def certificate_pdf_ensure(*, certificate_id: int, force: bool = False) -> Certificate:
    """Render and store the PDF of the certificate's current version (idempotent)."""
    from django.core.files.base import ContentFile

    from .pdf import certificate_pdf

    certificate = Certificate.objects.select_related("organization", "institution").get(
        pk=certificate_id
    )
    if not force and certificate.pdf and certificate.pdf_version == certificate.version:
        return certificate
    data = certificate_pdf(certificate)
    old = certificate.pdf.name if certificate.pdf else ""
    certificate.pdf.save(
        f"{certificate.number}-v{certificate.version}.pdf", ContentFile(data), save=False
    )
    certificate.pdf_version = certificate.version
    Certificate.objects.filter(pk=certificate.pk).update(
        pdf=certificate.pdf.name, pdf_version=certificate.version
    )
    if old and old != certificate.pdf.name:
        certificate.pdf.storage.delete(old)
    return certificate


def queue_pdf_render(certificate_id: int) -> None:
    """After commit, render the PDF in Celery; if the broker is down, the download renders it."""

    def _send():
        from .tasks import render_certificate_pdf

        try:
            render_certificate_pdf.delay(certificate_id)
        except Exception:
            import logging

            logging.getLogger(__name__).warning(
                "broker unavailable; PDF %s rendered later", certificate_id
            )

    transaction.on_commit(_send)
