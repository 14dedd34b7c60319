"""The upload checks of evidence (size 413, type by content 415, safe name 400), borrowed from
`applications.services` in one place: when `ietsportal/uploads.py` lands, this is the one
line to switch."""

from django.conf import settings
from django.utils.translation import gettext as _

from applications.services import clean_filename, sniff_evidence
from ietsportal.errors import InvalidInput, TooLarge


def checked_upload(upload) -> tuple[str, str]:
    """(clean file name, sniffed MIME type) of an acceptable upload, or a domain error."""
    if upload is None:
        raise InvalidInput(_("Choose a file to upload."), field="file")
    if upload.size > settings.EVIDENCE_MAX_BYTES:
        raise TooLarge(
            _("The file is larger than %(mb)d MB.")
            % {"mb": settings.EVIDENCE_MAX_BYTES // (1024 * 1024)},
            field="file",
        )
    if upload.size == 0:
        raise InvalidInput(_("The file is empty."), field="file")
    name = clean_filename(upload.name or "")
    return name, sniff_evidence(upload, name)
