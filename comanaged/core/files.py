"""Uploaded files: accepted by an allowlist, stored outside the web root, served inertly.

Used by ticket attachments now and knowledge-base attachments later. There is no model here
(core is the lowest app): a caller keeps its own row with the :class:`StoredFile` fields and
hands that row back to :func:`open_stored`, :func:`delete_stored` or :func:`file_response`.

- **What is accepted** is decided by the file's extension *and* its first bytes, never by the
  browser's ``Content-Type``: an allowlist of everyday business types (:data:`ALLOWED`).
  Executables and scripts are refused whatever their name (PE, ELF, Mach-O, ``#!``, MSI).
- **Where it goes**: ``FILES_DIR/aa/bb/<sha256>``, written to a temporary file in ``FILES_DIR``
  and moved into place with ``os.replace`` (atomic, same filesystem), so a reader never sees
  half a file and identical content is stored once. The client's file name is data only: it is
  sanitised for display and download and never becomes part of a path.
- **How big**: ``ATTACHMENT_MAX_BYTES`` by default, counted while streaming (a declared size
  can lie). For the request as a whole see :func:`refuse_oversized_request` and
  :class:`LimitedUploadHandler`, which stop a huge body before Django spools it to disk.
- **How it is served**: :func:`file_response` — a download by default, ``nosniff``, a sandbox
  CSP, never ``text/html``.

Because content is deduplicated, two rows may share one key: delete the stored file only when
the last row that refers to it goes.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol
from urllib.parse import quote

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import FileResponse, HttpRequest

from comanaged.core.errors import ApplicationError, CoreErrorCode

FILE_EMPTY = "file_empty"
FILE_TOO_LARGE = "file_too_large"
FILE_TYPE_NOT_ALLOWED = "file_type_not_allowed"

FILE_MODE = 0o640
DIR_MODE = 0o750
NAME_MAX = 200  # the callers' name columns hold 200 characters
CHUNK_SIZE = 64 * 1024
HEAD_SIZE = 8 * 1024  # enough bytes to recognise every format below
# A multipart body is a little larger than the file it carries (boundaries, part headers and the
# form's other fields); the per-file limit itself is enforced while streaming.
MULTIPART_OVERHEAD = 64 * 1024

_KEY = re.compile(r"[0-9a-f]{64}")


# --- What is accepted ------------------------------------------------------------------------


@dataclass(frozen=True)
class FileType:
    kind: str  # which sniffing rule the first bytes must pass
    content_type: str  # what we record and (for binary types) serve


_OOXML = "application/vnd.openxmlformats-officedocument."
_ODF = "application/vnd.oasis.opendocument."

ALLOWED: dict[str, FileType] = {
    "png": FileType("png", "image/png"),
    "jpg": FileType("jpeg", "image/jpeg"),
    "jpeg": FileType("jpeg", "image/jpeg"),
    "gif": FileType("gif", "image/gif"),
    "webp": FileType("webp", "image/webp"),
    "pdf": FileType("pdf", "application/pdf"),
    "txt": FileType("text", "text/plain"),
    "log": FileType("text", "text/plain"),
    "csv": FileType("text", "text/csv"),
    "json": FileType("text", "application/json"),
    "xml": FileType("text", "application/xml"),
    "md": FileType("text", "text/markdown"),
    "eml": FileType("text", "message/rfc822"),
    "docx": FileType("zip", _OOXML + "wordprocessingml.document"),
    "xlsx": FileType("zip", _OOXML + "spreadsheetml.sheet"),
    "pptx": FileType("zip", _OOXML + "presentationml.presentation"),
    "odt": FileType("zip", _ODF + "text"),
    "ods": FileType("zip", _ODF + "spreadsheet"),
    "zip": FileType("zip", "application/zip"),
    "msg": FileType("ole", "application/vnd.ms-outlook"),
}

# Not needed for the decision (anything off the allowlist is refused) but worth a clearer
# message: programs, installers, scripts, and markup a browser would run (HTML, SVG).
_PROGRAM_EXTENSIONS = """
exe dll com scr pif cpl sys msi msp mst bat cmd ps1 psm1 psd1 sh bash zsh csh ksh js mjs cjs
jse vbs vbe wsf wsh hta jar class apk app dmg pkg deb rpm lnk reg py pyw pl rb php phtml asp
aspx jsp cgi html htm xhtml shtml mht mhtml svg svgz xsl xslt swf
"""
EXECUTABLE_EXTENSIONS = frozenset(_PROGRAM_EXTENSIONS.split())

# Text types are served as plain text: JSON, XML (which could carry XHTML and script), Markdown
# and e-mail sources are all safe to show as text, and nothing we serve is ever HTML.
TEXT_CONTENT_TYPES = frozenset(ft.content_type for ft in ALLOWED.values() if ft.kind == "text")
SERVED_AS_TEXT = "text/plain; charset=utf-8"
INLINE_CONTENT_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf"})
BINARY_CONTENT_TYPES = frozenset(ft.content_type for ft in ALLOWED.values()) - TEXT_CONTENT_TYPES

# First bytes of programs, refused whatever the name: a renamed .exe is still a .exe.
_EXECUTABLE_MAGIC = (
    b"MZ",  # DOS/Windows PE
    b"ZM",  # DOS, byte-swapped
    b"\x7fELF",  # Linux and most Unixes
    b"\xfe\xed\xfa\xce",  # Mach-O 32-bit
    b"\xfe\xed\xfa\xcf",  # Mach-O 64-bit
    b"\xce\xfa\xed\xfe",  # Mach-O 32-bit, little-endian
    b"\xcf\xfa\xed\xfe",  # Mach-O 64-bit, little-endian
    b"\xca\xfe\xba\xbe",  # Mach-O universal binary (and Java classes)
    b"\x00asm",  # WebAssembly
)
_UTF8_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Windows Installer packages (.msi, .msp, .mst) are OLE files like Outlook's .msg; their root
# storage carries the class id {000C108x-0000-0000-C000-000000000046} (x = 2, 4 or 6).
_MSI_CLSID_TAIL = b"\x10\x0c\x00\x00\x00\x00\x00\xc0\x00\x00\x00\x00\x00\x00\x46"


def _looks_like(kind: str, head: bytes) -> bool:
    """Whether the first bytes fit the format the extension claims."""
    if kind == "png":
        return head.startswith(b"\x89PNG\r\n\x1a\n")
    if kind == "jpeg":
        return head.startswith(b"\xff\xd8\xff")
    if kind == "gif":
        return head.startswith((b"GIF87a", b"GIF89a"))
    if kind == "webp":
        return head[:4] == b"RIFF" and head[8:12] == b"WEBP"
    if kind == "pdf":
        return head.startswith(b"%PDF-")
    if kind == "zip":  # also the container of docx/xlsx/pptx/odt/ods; an empty zip is only its end record
        return head.startswith((b"PK\x03\x04", b"PK\x05\x06"))
    if kind == "ole":
        return head.startswith(_OLE_MAGIC)
    if kind == "text":
        # Text has no NUL bytes unless it is UTF-16 (Excel's "Unicode text" export).
        return head.startswith(_UTF16_BOMS) or b"\x00" not in head
    return False


def _is_program(head: bytes) -> bool:
    if head.startswith(_EXECUTABLE_MAGIC):
        return True
    # A script runs by its #! line whatever the file is called (leading BOM/space tolerated).
    return head.removeprefix(_UTF8_BOM).lstrip().startswith(b"#!")


def _is_installer(path: Path) -> bool:
    """An MSI renamed .msg: read the root directory entry's class id of the OLE file."""
    with open(path, "rb") as handle:
        header = handle.read(512)
        if len(header) < 512:
            return False
        sector_size = 1 << int.from_bytes(header[0x1E:0x20], "little")
        first_directory_sector = int.from_bytes(header[0x30:0x34], "little")
        if not 512 <= sector_size <= 4096:
            return False
        handle.seek((first_directory_sector + 1) * sector_size + 0x50)
        clsid = handle.read(16)
    return len(clsid) == 16 and clsid[0] in (0x82, 0x84, 0x86) and clsid[1:] == _MSI_CLSID_TAIL


# --- Names -----------------------------------------------------------------------------------


def sanitize_filename(name: str) -> str:
    """The client's file name made safe to show and to offer for download (never a path).

    Keeps the base name only (either OS's separators), drops control and format characters
    (newlines, NUL, bidi overrides that make ``exe.pdf`` read ``fdp.exe``), trims dots and
    spaces at the ends, and shortens the stem so the whole fits :data:`NAME_MAX`.
    """
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(_name_char(ch) for ch in name)
    name = " ".join(name.split()).strip(". ")
    if not name:
        return "file"
    if len(name) > NAME_MAX:
        stem, dot, extension = name.rpartition(".")
        if dot and stem and len(extension) < 20:
            name = stem[: NAME_MAX - len(extension) - 1].rstrip(". ") + "." + extension
        else:
            name = name[:NAME_MAX]
    return name


def _name_char(ch: str) -> str:
    category = unicodedata.category(ch)
    if category in ("Cc", "Zl", "Zp"):  # newlines, tabs, NUL...: a word break at most
        return " "
    return "" if category[0] == "C" else ch  # format (bidi, zero-width), private, unassigned


def extension_of(name: str) -> str:
    stem, dot, extension = name.rpartition(".")
    return extension.lower() if dot and stem else ""


# --- Storing ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class StoredFile:
    """What a caller keeps in its own row: the key locates the bytes, the rest describes them."""

    key: str  # the sha256 of the content, 64 lowercase hex digits
    name: str  # sanitised, for display and download only
    size: int
    content_type: str  # from our allowlist, never the browser's
    sha256: str


def _megabytes(limit: int) -> str:
    mb = limit / (1024 * 1024)
    return f"{mb:.1f}".removesuffix(".0") if mb >= 0.1 else f"{mb:.2g}"


def _too_large(limit: int, field: str) -> ApplicationError:
    return ApplicationError(FILE_TOO_LARGE, f"The file is larger than the {_megabytes(limit)} MB limit.", field=field)


def _not_allowed(message: str, field: str) -> ApplicationError:
    return ApplicationError(FILE_TYPE_NOT_ALLOWED, message, field=field)


def _limit(max_bytes: int | None) -> int:
    return settings.ATTACHMENT_MAX_BYTES if max_bytes is None else max_bytes


def store_upload(upload: UploadedFile, *, max_bytes: int | None = None, field: str = "file") -> StoredFile:
    """Check an upload against the type and size policy and store it; refusals raise
    :class:`ApplicationError` (``file_empty``, ``file_too_large``, ``file_type_not_allowed``)
    naming ``field``, and leave nothing behind."""
    limit = _limit(max_bytes)
    name = sanitize_filename(upload.name or "")
    file_type = _type_by_name(name, field)
    if upload.size is not None and upload.size > limit:  # cheap early refusal; the stream decides
        raise _too_large(limit, field)

    root = _root()
    _make_dir(root)
    _make_dir(root / "tmp")
    fd, temp_name = tempfile.mkstemp(prefix="upload-", dir=root / "tmp")
    temp = Path(temp_name)
    try:
        digest, size, head = _write(upload, fd, limit, field)
        if size == 0:
            raise ApplicationError(FILE_EMPTY, "The file is empty.", field=field)
        _check_content(name, file_type, head, temp, field)
        final = _path(digest)
        _make_dir(final.parent.parent)
        _make_dir(final.parent)
        if final.exists():  # identical content is already stored: keep that copy
            temp.unlink()
        else:
            os.replace(temp, final)
    finally:
        temp.unlink(missing_ok=True)
    return StoredFile(key=digest, name=name, size=size, content_type=file_type.content_type, sha256=digest)


def _type_by_name(name: str, field: str) -> FileType:
    extension = extension_of(name)
    if extension in EXECUTABLE_EXTENSIONS:
        raise _not_allowed(f"Programs and scripts (.{extension}) are not accepted.", field)
    if extension not in ALLOWED:
        accepted = ", ".join(f".{e}" for e in sorted(ALLOWED))
        what = f".{extension} files are" if extension else "Files without an extension are"
        raise _not_allowed(f"{what} not accepted. Accepted: {accepted}.", field)
    return ALLOWED[extension]


def _write(upload: UploadedFile, fd: int, limit: int, field: str) -> tuple[str, int, bytes]:
    """Stream the upload into ``fd``: hash, count and keep the first bytes as we go; stop as
    soon as it passes the limit, whatever size it declared."""
    digest = hashlib.sha256()
    size = 0
    head = b""
    with os.fdopen(fd, "wb") as out:
        os.fchmod(out.fileno(), FILE_MODE)  # mkstemp makes 0600; 0640 lets an ops/backup group read
        for chunk in upload.chunks(CHUNK_SIZE):
            size += len(chunk)
            if size > limit:
                raise _too_large(limit, field)
            if len(head) < HEAD_SIZE:
                head += chunk[: HEAD_SIZE - len(head)]
            digest.update(chunk)
            out.write(chunk)
        out.flush()
        os.fsync(out.fileno())  # the bytes are on disk before the name points at them
    return digest.hexdigest(), size, head


PROGRAMS_REFUSED = "Programs and scripts are not accepted, whatever their name."


def _check_content(name: str, file_type: FileType, head: bytes, temp: Path, field: str) -> None:
    if _is_program(head):
        raise _not_allowed(PROGRAMS_REFUSED, field)
    if not _looks_like(file_type.kind, head):
        raise _not_allowed(f"The content of {name} is not a .{extension_of(name)} file.", field)
    if file_type.kind == "ole" and _is_installer(temp):
        raise _not_allowed(PROGRAMS_REFUSED, field)


# --- Reading and deleting --------------------------------------------------------------------


def _root() -> Path:
    return Path(settings.FILES_DIR)


def _path(key: str) -> Path:
    """The one way from a key to a path: 64 hex digits, so nothing can climb out of FILES_DIR."""
    if not isinstance(key, str) or not _KEY.fullmatch(key):
        raise ApplicationError(CoreErrorCode.INVALID, "Not a stored file key.", field="key")
    return _root() / key[:2] / key[2:4] / key


def _make_dir(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        path.mkdir(mode=DIR_MODE)
    except FileExistsError:
        return
    os.chmod(path, DIR_MODE)  # mkdir's mode passes through the umask


def open_stored(key: str) -> BinaryIO:
    """The stored bytes, opened for reading; the caller closes them (FileResponse does)."""
    path = _path(key)
    try:
        return open(path, "rb")  # the caller closes it
    except FileNotFoundError:
        raise ApplicationError(CoreErrorCode.NOT_FOUND, "The file is no longer stored.", field="key") from None


# Every app that keeps rows pointing at stored files registers how to ask whether a key is still
# used (content is deduplicated across apps: a ticket and an article may share one file).
KeyInUse = Callable[[str], bool]
_key_users: list[KeyInUse] = []


def register_key_user(in_use: KeyInUse) -> None:
    if in_use not in _key_users:
        _key_users.append(in_use)


def forget_unreferenced(keys: Iterable[str]) -> int:
    """Delete the stored bytes of each key no registered app refers to any more; returns how
    many were deleted. Call it after the rows are gone (on commit)."""
    return sum(delete_stored(key) for key in set(keys) if not any(in_use(key) for in_use in _key_users))


def delete_stored(key: str) -> bool:
    """Remove the stored bytes (True if they were there). Content is shared between rows with
    the same key, so call this only when no row refers to ``key`` any more."""
    path = _path(key)
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    return True


# --- Serving ---------------------------------------------------------------------------------


class StoredFileLike(Protocol):
    """A :class:`StoredFile` or a caller's row with the same fields."""

    @property
    def key(self) -> str: ...

    @property
    def name(self) -> str: ...

    @property
    def content_type(self) -> str: ...


def served_content_type(content_type: str) -> str:
    """Binary types of our allowlist as they are; text as plain UTF-8 text; anything else
    (an old or hand-edited row) as opaque bytes. Never HTML, SVG or XML a browser would run."""
    if content_type in BINARY_CONTENT_TYPES:
        return content_type
    if content_type in TEXT_CONTENT_TYPES:
        return SERVED_AS_TEXT
    return "application/octet-stream"


def content_disposition(name: str, *, inline: bool = False) -> str:
    """RFC 6266: an ASCII ``filename`` for old clients and the exact name as RFC 5987
    ``filename*``. The fallback keeps only characters no browser misreads (no quotes,
    backslashes or percent signs)."""
    name = sanitize_filename(name)
    stem, dot, extension = name.rpartition(".") if extension_of(name) else (name, "", "")
    extension = _ascii(extension)
    fallback = (_ascii(stem).strip(" .") or "file") + (dot + extension if extension else "")
    disposition = "inline" if inline else "attachment"
    return f"{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def _ascii(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()  # é → e, я → ""
    return re.sub(r"[^A-Za-z0-9 ._()+,-]", "_", text)


def file_response(stored: StoredFileLike, *, inline: bool = False) -> FileResponse:
    """Serve a stored file so the browser cannot run it: a download unless ``inline`` is asked
    for an image or PDF, no type sniffing, a sandbox with no sources, not cached, not
    embeddable from other sites. Raises ``not_found`` if the bytes are gone.

    Check the caller's permission on its row first; this serves whatever key it is given."""
    content_type = served_content_type(stored.content_type)
    inline = inline and content_type in INLINE_CONTENT_TYPES
    response = FileResponse(open_stored(stored.key), content_type=content_type)
    response["Content-Disposition"] = content_disposition(stored.name, inline=inline)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response


# --- Refusing big requests before Django reads them ------------------------------------------


def refuse_oversized_request(request: HttpRequest, max_bytes: int | None = None) -> None:
    """Raise ``file_too_large`` when the declared body is bigger than ``max_bytes`` (plus
    :data:`MULTIPART_OVERHEAD` for the form around the file) — before anything reads it.

    Call it first thing in the view, before ``request.POST``/``request.FILES``: parsing the body
    is what makes Django stream a large upload to a temporary file. For a form that takes
    several files, pass the total you allow. Django's ``DATA_UPLOAD_MAX_MEMORY_SIZE`` does not
    help here: it leaves file parts out of its count.
    """
    limit = _limit(max_bytes)
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return  # Django's request reads no body without a valid Content-Length
    if declared > limit + MULTIPART_OVERHEAD:
        raise _too_large(limit, "file")


class LimitedUploadHandler(FileUploadHandler):
    """Stops the multipart parser as soon as one file passes ``max_bytes`` — the body it was
    given is not read further and nothing more is written to disk.

    It complements :func:`refuse_oversized_request`, which trusts the declared length: the
    handler counts the bytes actually received for each file, so it holds when several files
    share an allowed total, and when a server hands Django a body whose size was not declared
    (chunked transfer).

    A view installs it **before** anything touches ``request.POST`` or ``request.FILES`` (the
    handlers are fixed once the body is parsed). ``CsrfViewMiddleware`` reads ``request.POST``
    before the view runs, so such a view is ``csrf_exempt`` and checks CSRF itself afterwards
    with ``csrf_protect`` — the exemption only moves the check, it does not remove it::

        @csrf_exempt
        def upload(request, pk):
            refuse_oversized_request(request, settings.ATTACHMENT_MAX_BYTES)
            limiter = LimitedUploadHandler(settings.ATTACHMENT_MAX_BYTES)
            request.upload_handlers.insert(0, limiter)
            return _upload(request, pk, limiter)

        @csrf_protect
        def _upload(request, pk, limiter):
            files = request.FILES.getlist("file")
            limiter.raise_if_exceeded()
            ...  # store_upload(f) for each; it checks size and type again

    Once stopped, the parsed form is incomplete (fields after the file, perhaps the CSRF token
    too): send the token in the ``X-CSRFToken`` header, as our htmx pages do, and call
    :meth:`raise_if_exceeded` before looking at anything else.
    """

    def __init__(self, max_bytes: int | None = None, request: HttpRequest | None = None) -> None:
        super().__init__(request)
        self.max_bytes = _limit(max_bytes)
        self.exceeded = False

    def new_file(
        self,
        field_name: str,
        file_name: str,
        content_type: str,
        content_length: int | None,
        charset: str | None = None,
        content_type_extra: dict[str, bytes] | None = None,
    ) -> None:
        super().new_file(field_name, file_name, content_type, content_length, charset, content_type_extra)
        if content_length is not None and content_length > self.max_bytes:  # a part that says so itself
            self._stop()

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        if start + len(raw_data) > self.max_bytes:
            self._stop()
        return raw_data  # pass the chunk on to the handler that stores it

    def file_complete(self, file_size: int) -> None:
        return None  # the next handler returns the file

    def _stop(self) -> None:
        self.exceeded = True
        # connection_reset: do not read (and discard) the rest of the body either.
        raise StopUpload(connection_reset=True)

    def raise_if_exceeded(self) -> None:
        if self.exceeded:
            raise _too_large(self.max_bytes, "file")
