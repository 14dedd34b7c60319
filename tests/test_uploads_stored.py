"""`uploads_stored`: files saved in a write that fails are deleted again; a write that
succeeds keeps them."""

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from ietsportal.uploads import uploads_stored
from supervision.models import CaseEvidence


def files_under(root):
    return sorted(p.name for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_a_failed_write_leaves_no_file():
    first, second = CaseEvidence(), CaseEvidence()
    with pytest.raises(RuntimeError), uploads_stored() as store:
        store(first.file, SimpleUploadedFile("a.pdf", b"%PDF-1.4 a"))
        store(second.file, SimpleUploadedFile("b.pdf", b"%PDF-1.4 b"))
        assert len(files_under(settings.MEDIA_ROOT)) == 2
        raise RuntimeError("the transaction failed")
    assert files_under(settings.MEDIA_ROOT) == []


def test_a_successful_write_keeps_its_files():
    row = CaseEvidence()
    with uploads_stored() as store:
        store(row.file, SimpleUploadedFile("a.pdf", b"%PDF-1.4 a"))
    assert row.file.read() == b"%PDF-1.4 a"
    assert files_under(settings.MEDIA_ROOT) == [row.file.name.rsplit("/", 1)[-1]]
