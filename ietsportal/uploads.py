"""Safe uploads, in one place: every file a user sends is checked here before anything is
stored (M§13(3) evidence, and whatever else takes files).

`upload_validate(upload, allowed=..., max_bytes=...)` refuses, with a message in the user's
language and the HTTP status that fits:

* no file, an empty file (400); a file over `max_bytes` (413);
* a name that is a path (`/`, `\\`, `..`, a leading dot), has control characters (NUL …),
  invisible ones (zero-width …) or bidirectional controls (U+202E RIGHT-TO-LEFT OVERRIDE, which
  disguises `exe.pdf` as `fdp.exe` …), or no extension (400);
* content whose sniffed type is not allowed, or whose name's extension disagrees with it (415);
* polyglots: content that is two types at once (a PDF header in the first KB of an image or
  office file, a ZIP directory at the end of a PDF or image), or HTML/script markers in the
  first 8 KB of any file or in an image's metadata and trailing bytes — not in its compressed
  pixels, where any bytes may occur by chance (415);
* PDFs with active content: `/JavaScript`, `/JS`, `/OpenAction`, `/AA`, `/Launch`,
  `/EmbeddedFile(s)`, `/RichMedia` — also when the name is written with `#xx` escapes or hidden
  in a compressed object stream; page and image streams are not inflated (415);
* office documents (ZIP containers) that are damaged or encrypted, that unpack to more than
  `max_unpacked` bytes or more than `MAX_RATIO` times an entry's packed size (zip bombs), whose
  entries overlap (the "better zip bomb") or escape their folder, or that contain another
  archive or macros (415).

Nothing is written by this module: callers store the file only after it returns, and inside
their transaction (see `applications.services.evidence_add`).
"""

import hashlib
import io
import re
import unicodedata
import uuid
import zipfile
import zlib
from contextlib import contextmanager
from dataclasses import dataclass

import filetype
from django.utils.translation import gettext as _g

from .errors import InvalidInput, TooLarge, UnsupportedType

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"

# Sniffed MIME type: the file name extensions that may carry it.
EVIDENCE_TYPES: dict[str, frozenset[str]] = {
    PDF: frozenset({".pdf"}),
    PNG: frozenset({".png"}),
    JPEG: frozenset({".jpg", ".jpeg"}),
    DOCX: frozenset({".docx"}),
    XLSX: frozenset({".xlsx"}),
    PPTX: frozenset({".pptx"}),
}
OFFICE_TYPES = frozenset({DOCX, XLSX, PPTX})
IMAGE_TYPES = frozenset({PNG, JPEG})

MAX_NAME_LENGTH = 150
# Office documents: what they may unpack to, in total and per entry.
MAX_UNPACKED_BYTES = 100 * 1024 * 1024
MAX_RATIO = 100  # an entry over RATIO_FLOOR bytes may be at most 100× its packed size
RATIO_FLOOR = 1024 * 1024
MAX_ENTRIES = 5000
# Markers of HTML or script: a browser that sniffs the file would run it.
HTML_MARKERS = re.compile(
    rb"<(?:html|script|body|iframe|svg|object|embed|meta|!doctype)\b|<\?php|javascript:",
    re.IGNORECASE,
)
HEAD_BYTES = 8192
# PDF name objects that run code, act on opening, launch programs or carry files.
PDF_ACTIVE = frozenset(
    {"JavaScript", "JS", "OpenAction", "AA", "Launch", "EmbeddedFile", "EmbeddedFiles", "RichMedia"}
)
PDF_NAME = re.compile(rb"/((?:[A-Za-z0-9_.\-]|#[0-9A-Fa-f]{2})+)")
PDF_STREAM = re.compile(rb"stream\r?\n")
PDF_INFLATE_LIMIT = 64 * 1024 * 1024
ARCHIVE_EXTENSIONS = (
    ".zip .rar .7z .gz .tgz .tar .bz2 .xz .zst .cab .jar .apk .docx .xlsx .pptx .docm .xlsm "
    ".pptm .odt .ods .odp"
).split()
ARCHIVE_MAGIC = (b"PK\x03\x04", b"PK\x05\x06", b"\x1f\x8b", b"Rar!", b"7z\xbc\xaf\x27\x1c")


@dataclass(frozen=True)
class ValidatedUpload:
    """What the checks found: the name as the user gave it (NFC), the type the content has,
    and a server-generated name to store it under (never derived from the user's name)."""

    name: str
    extension: str
    content_type: str
    size: int
    sha256: str
    server_name: str

    @property
    def audited(self) -> dict:
        """What an audit entry records of the file: its name, digest and size."""
        return {"file": self.name, "sha256": self.sha256, "size": self.size}


def upload_validate(
    upload,
    *,
    allowed: dict[str, frozenset[str]] = EVIDENCE_TYPES,
    max_bytes: int,
    max_unpacked: int = MAX_UNPACKED_BYTES,
    field: str = "file",
) -> ValidatedUpload:
    """Check `upload` (a Django File) against every rule above; raise the domain error of the
    first rule it breaks. Reads the file once (at most `max_bytes`) and rewinds it."""
    if upload is None:
        raise InvalidInput(_g("Choose a file to upload."), field=field)
    size = upload.size
    if size is None or size > max_bytes:
        raise TooLarge(
            _g("The file is larger than %(mb)d MB.") % {"mb": max_bytes // (1024 * 1024)},
            field=field,
        )
    if size == 0:
        raise InvalidInput(_g("The file is empty."), field=field)
    name = filename_clean(upload.name or "", field=field)
    upload.seek(0)
    data = upload.read(max_bytes + 1)
    upload.seek(0)
    if len(data) > max_bytes:
        raise TooLarge(
            _g("The file is larger than %(mb)d MB.") % {"mb": max_bytes // (1024 * 1024)},
            field=field,
        )
    if not data:
        raise InvalidInput(_g("The file is empty."), field=field)
    mime, extension = content_sniff(data, name, allowed=allowed, field=field)
    polyglot_refuse(data, mime, field=field)
    if mime == PDF:
        pdf_refuse_active_content(data, field=field)
    if mime in OFFICE_TYPES:
        office_refuse_bombs(data, max_unpacked=max_unpacked, field=field)
    return ValidatedUpload(
        name=name,
        extension=extension,
        content_type=mime,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        server_name=uuid.uuid4().hex + extension,
    )


# ---- names


BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)


def filename_clean(name: str, *, field: str = "file") -> str:
    """Refuse rather than repair a name that tries to be a path or hides characters."""
    if not name or len(name) > MAX_NAME_LENGTH:
        raise InvalidInput(_g("The file name must have 1 to 150 characters."), field=field)
    if any(ch in BIDI_CONTROLS for ch in name):
        raise InvalidInput(
            _g(
                "The file name contains a text-direction control character (such as U+202E), "
                "which can disguise its real extension."
            ),
            field=field,
        )
    if any(unicodedata.category(ch) in {"Cc", "Cf", "Cs", "Co", "Zl", "Zp"} for ch in name):
        raise InvalidInput(
            _g("The file name contains control or invisible characters."), field=field
        )
    if "/" in name or "\\" in name or ".." in name or name.startswith("."):
        raise InvalidInput(
            _g("The file name must not contain a path (“/”, “\\” or “..”)."), field=field
        )
    return unicodedata.normalize("NFC", name)


# ---- type


def content_sniff(
    data: bytes, name: str, *, allowed: dict[str, frozenset[str]], field: str = "file"
) -> tuple[str, str]:
    """The content decides the type; the name's extension must agree with it."""
    kind = filetype.guess(data[:HEAD_BYTES])
    mime = kind.mime if kind else ""
    extension = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if mime not in allowed:
        raise UnsupportedType(
            _g(
                "Evidence must be a PDF, PNG, JPEG, Word, Excel or PowerPoint "
                "file; this file's content is not one of them."
            ),
            field=field,
        )
    if extension not in allowed[mime]:
        raise UnsupportedType(
            _g("The file name ends in “%(ext)s” but its content is %(mime)s.")
            % {"ext": extension or "—", "mime": mime},
            field=field,
        )
    return mime, extension


def polyglot_refuse(data: bytes, mime: str, *, field: str = "file") -> None:
    """A file must be one thing: refuse content that a PDF reader, an unzipper or a browser
    would also accept as something else."""
    if mime != PDF and b"%PDF-" in data[:1024]:
        # PDF readers look for the header anywhere in the first 1024 bytes.
        raise _two_types(mime, PDF, field)
    if mime not in OFFICE_TYPES and _has_zip_directory(data):
        raise _two_types(mime, "application/zip", field)
    scanned = _image_metadata(data, mime) if mime in IMAGE_TYPES else data[:HEAD_BYTES]
    if HTML_MARKERS.search(data[:HEAD_BYTES]) or HTML_MARKERS.search(scanned):
        raise UnsupportedType(
            _g(
                "The file contains HTML or script (“<html”, “<script” …) hidden in its "
                "content; upload a plain file."
            ),
            field=field,
        )


def _image_metadata(data: bytes, mime: str) -> bytes:
    """Everything of an image but its compressed pixels (where any byte sequence may occur by
    chance): PNG chunks other than IDAT and bytes after IEND; JPEG segments before the scan
    and bytes after the last end marker. A file that does not parse is scanned whole."""
    parts = []
    if mime == PNG:
        at = 8
        while at + 8 <= len(data):
            length = int.from_bytes(data[at : at + 4], "big")
            kind = data[at + 4 : at + 8]
            end = at + 12 + length
            if end > len(data):
                return data
            if kind != b"IDAT":
                parts.append(data[at : at + 8 + length])
            at = end
            if kind == b"IEND":
                break
        parts.append(data[at:])
        return b"".join(parts)
    # JPEG: marker segments up to the first start-of-scan (FFDA), then what follows the end.
    at = 2
    while at + 4 <= len(data) and data[at] == 0xFF:
        marker = data[at + 1]
        length = int.from_bytes(data[at + 2 : at + 4], "big")
        parts.append(data[at : at + 2 + length])
        if marker == 0xDA:
            break
        at += 2 + length
    else:
        return data
    end = data.rfind(b"\xff\xd9")
    parts.append(data[end + 2 :] if end >= 0 else b"")
    return b"".join(parts)


def _two_types(first: str, second: str, field: str) -> UnsupportedType:
    return UnsupportedType(
        _g(
            "The file's content is both %(first)s and %(second)s (a polyglot file); upload a "
            "plain file."
        )
        % {"first": first, "second": second},
        field=field,
    )


def _has_zip_directory(data: bytes) -> bool:
    # An unzipper reads the end-of-central-directory record in the last 64 KB.
    tail = data[-(65536 + 22) :]
    at = tail.rfind(b"PK\x05\x06")
    if at < 0:
        return False
    try:
        return zipfile.is_zipfile(io.BytesIO(data))
    except Exception:
        return False


# ---- PDF


def pdf_refuse_active_content(data: bytes, *, field: str = "file") -> None:
    """Refuse a PDF that runs script, acts on opening, launches programs or carries files,
    wherever the key is: in the plain body or in a compressed (object) stream."""
    found = _pdf_active_names(data)
    budget = PDF_INFLATE_LIMIT
    for match in PDF_STREAM.finditer(data):
        if found:
            break
        # Only object streams hold dictionaries; page content and images (which may inflate
        # to a lot: scans) carry no names that act.
        head = data[max(0, match.start() - 2048) : match.start()]
        head = head[head.rfind(b"obj") :]
        if "ObjStm" not in set(_pdf_names(head)):
            continue
        start = match.end()
        end = data.find(b"endstream", start)
        if end < 0:
            break
        inflater = zlib.decompressobj()
        try:
            inflated = inflater.decompress(data[start:end], budget)
        except zlib.error:
            continue  # not Flate: images and other filters carry no PDF names we act on
        budget -= len(inflated)
        found = _pdf_active_names(inflated)
        if budget <= 0:
            raise UnsupportedType(
                _g("The PDF unpacks to too much data to be checked; upload a smaller file."),
                field=field,
            )
    if found:
        raise UnsupportedType(
            _g(
                "The PDF contains active content (%(what)s): scripts, actions run on opening, "
                "program launches or embedded files are not accepted. Print it to a new PDF "
                "and upload that."
            )
            % {"what": ", ".join(f"/{name}" for name in sorted(found))},
            field=field,
        )


def _pdf_names(data: bytes):
    """The PDF name objects in `data`, with `#xx` escapes decoded."""
    for match in PDF_NAME.finditer(data):
        raw = match.group(1)
        if b"#" in raw:
            raw = re.sub(rb"#([0-9A-Fa-f]{2})", lambda m: bytes([int(m.group(1), 16)]), raw)
        yield raw.decode("latin-1")


def _pdf_active_names(data: bytes) -> set[str]:
    return {name for name in _pdf_names(data) if name in PDF_ACTIVE}


# ---- office documents (ZIP containers)


def office_refuse_bombs(data: bytes, *, max_unpacked: int, field: str = "file") -> None:
    """Open the ZIP container and unpack every entry, counting: refuse bombs, overlapping or
    escaping entries, encrypted entries, nested archives and macros."""

    def refuse(message):
        return UnsupportedType(message, field=field)

    damaged = _g("The document is damaged and cannot be opened as a ZIP container.")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError):
        raise refuse(damaged) from None
    if len(entries) > MAX_ENTRIES:
        raise refuse(
            _g("The document has more than %(n)d parts.") % {"n": MAX_ENTRIES},
        )
    bomb = _g(
        "The document unpacks to far more data than its size (a “zip bomb”); it is not accepted."
    )
    declared = sum(entry.file_size for entry in entries)
    if declared > max_unpacked:
        raise refuse(bomb)
    offsets = [entry.header_offset for entry in entries]
    if len(set(offsets)) != len(offsets) or sum(e.compress_size for e in entries) > len(data):
        raise refuse(bomb)  # entries share their data: an overlapping bomb
    for entry in entries:
        name = entry.filename
        if name.startswith(("/", "\\")) or ".." in name.replace("\\", "/").split("/"):
            raise refuse(damaged)
        if entry.flag_bits & 0x1:
            raise refuse(_g("The document is encrypted; upload it without a password."))
        if entry.file_size > RATIO_FLOOR and entry.file_size > MAX_RATIO * max(
            entry.compress_size, 1
        ):
            raise refuse(bomb)
        lower = name.lower()
        if lower.endswith("vbaproject.bin"):
            raise refuse(_g("The document contains macros; save it without them."))
        if lower.endswith(tuple(ARCHIVE_EXTENSIONS)):
            raise refuse(_nested(name))
    unpacked = 0
    for entry in entries:
        if entry.is_dir():
            continue
        try:
            with archive.open(entry) as part:
                head = part.read(8)
                if head.startswith(ARCHIVE_MAGIC):
                    raise refuse(_nested(entry.filename))
                unpacked += len(head)
                while chunk := part.read(1024 * 1024):
                    unpacked += len(chunk)
                    if unpacked > max_unpacked:
                        raise refuse(bomb)
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError):
            raise refuse(damaged) from None


def _nested(name: str) -> str:
    return _g(
        "The document contains another archive (“%(name)s”); nested archives are not "
        "accepted. Remove the embedded file and upload again."
    ) % {"name": name[-80:]}


@contextmanager
def uploads_stored():
    """Store validated uploads so that a failed write leaves no file behind: inside the block,
    `store(field_file, upload)` saves the upload under the field's server-generated name; if
    the block raises (a refused transition, a database error), every file stored in it is
    deleted again. Use it around the `transaction.atomic()` of the write:

        with uploads_stored() as store, transaction.atomic():
            store(evidence.file, upload)
            evidence.save()
            audit_record(...)
    """
    stored = []

    def store(field_file, upload) -> None:
        field_file.save("upload", upload, save=False)
        stored.append((field_file.storage, field_file.name))

    try:
        yield store
    except BaseException:
        for storage, name in stored:
            storage.delete(name)
        raise


def upload_row(store, model, upload, checked: ValidatedUpload, **fields):
    """A row of `model` (with `file`, `original_name`, `content_type`, `size` and `sha256`)
    for an upload `upload_validate` passed: the name, type, size and digest as the checks found
    them, the file stored by `store` (`uploads_stored`, so that a failure later in the block
    removes it again) under the row's server-generated name, the row saved with `fields`."""
    row = model(
        original_name=checked.name,
        content_type=checked.content_type,
        size=checked.size,
        sha256=checked.sha256,
        **fields,
    )
    store(row.file, upload)
    row.save()
    return row


def stored_upload_response(upload):
    """A stored upload — a row with `file`, `original_name` and `content_type`, as
    `upload_row` writes them — as the portal serves it back: always a download (never shown
    inline), under the name the user gave it, with the type its content was found to have,
    not to be sniffed, and sandboxed should a browser open it anyway. The caller has checked
    that the user may see it."""
    from django.http import FileResponse

    response = FileResponse(
        upload.file.open("rb"),
        as_attachment=True,
        filename=upload.original_name,
        content_type=upload.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
