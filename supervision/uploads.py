"""The one place supervision validates an uploaded file. It reuses the evidence checks of
applications (size 413, sniffed type 415, clean name 400); when they move to
`ietsportal/uploads.py`, only the import below changes."""

import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _g

from applications.services import clean_filename, sniff_evidence
from ietsportal.errors import InvalidInput, TooLarge


@dataclass(frozen=True)
class CheckedUpload:
    name: str
    mime: str
    size: int
    sha256: str


def upload_check(upload) -> CheckedUpload:
    if upload is None:
        raise InvalidInput(_g("Choose a file to upload."), field="file")
    if upload.size > settings.EVIDENCE_MAX_BYTES:
        raise TooLarge(
            _g("The file is larger than %(mb)d MB.")
            % {"mb": settings.EVIDENCE_MAX_BYTES // (1024 * 1024)},
            field="file",
        )
    if upload.size == 0:
        raise InvalidInput(_g("The file is empty."), field="file")
    name = clean_filename(upload.name or "")
    mime = sniff_evidence(upload, name)
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return CheckedUpload(name=name, mime=mime, size=upload.size, sha256=digest.hexdigest())
