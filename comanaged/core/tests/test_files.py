"""Uploaded files: the type and size policy, content-addressed storage, safe serving."""

from __future__ import annotations

import hashlib
import io
import os
import stat
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory, override_settings

from comanaged.core.errors import ApplicationError
from comanaged.core.files import (
    NAME_MAX,
    LimitedUploadHandler,
    StoredFile,
    content_disposition,
    delete_stored,
    file_response,
    open_stored,
    refuse_oversized_request,
    sanitize_filename,
    store_upload,
)

pytestmark = pytest.mark.nodb

MiB = 1024 * 1024


@pytest.fixture
def files_dir(tmp_path):
    root = tmp_path / "files"
    with override_settings(FILES_DIR=root):
        yield root


def upload(name: str, content: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def stored_files(root: Path) -> list[Path]:
    """Every file under FILES_DIR, temporary ones included."""
    return sorted(p for p in root.rglob("*") if p.is_file())


def refusal(excinfo: pytest.ExceptionInfo[ApplicationError]) -> tuple[str, str | None]:
    return excinfo.value.code, excinfo.value.field


def zipped(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def ole(clsid: bytes = bytes(16)) -> bytes:
    """A minimal OLE compound file: header (512-byte sectors, directory at sector 0) and a root
    directory entry carrying ``clsid``."""
    header = bytearray(512)
    header[:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    header[0x1E:0x20] = (9).to_bytes(2, "little")
    header[0x30:0x34] = (0).to_bytes(4, "little")
    directory = bytearray(512)
    directory[:10] = "Root Entry".encode("utf-16-le")[:10]
    directory[0x50:0x60] = clsid
    return bytes(header + directory)


MSI_CLSID = bytes.fromhex("84100c0000000000c000000000000046")  # {000C1084-0000-0000-C000-000000000046}

ALLOWED_SAMPLES = [
    ("photo.png", b"\x89PNG\r\n\x1a\n" + bytes(24), "image/png"),
    ("photo.JPG", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", "image/jpeg"),
    ("photo.jpeg", b"\xff\xd8\xff\xdb\x00\x43\x00", "image/jpeg"),
    ("anim.gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "image/gif"),
    ("pic.webp", b"RIFF\x24\x00\x00\x00WEBPVP8 \x18\x00\x00\x00", "image/webp"),
    ("invoice.pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n%%EOF\n", "application/pdf"),
    ("notes.txt", b"The printer on floor 2 jams.\n", "text/plain"),
    ("agent.log", b"2024-05-01 10:00:00 INFO started\n", "text/plain"),
    ("users.csv", b"name,email\nAda,ada@example.com\n", "text/csv"),
    ("export.csv", b"\xff\xfe" + "name,email\n".encode("utf-16-le"), "text/csv"),
    ("config.json", b'{"a": 1}\n', "application/json"),
    ("policy.xml", b"<?xml version='1.0'?><policy/>\n", "application/xml"),
    ("README.md", "# Títle\n\n- item\n".encode(), "text/markdown"),
    ("mail.eml", b"From: a@example.com\r\nSubject: hi\r\n\r\nbody\r\n", "message/rfc822"),
    (
        "report.docx",
        zipped({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w/>"}),
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    (
        "sheet.xlsx",
        zipped({"[Content_Types].xml": b"<Types/>"}),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
    (
        "deck.pptx",
        zipped({"[Content_Types].xml": b"<Types/>"}),
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ),
    (
        "letter.odt",
        zipped({"mimetype": b"application/vnd.oasis.opendocument.text"}),
        "application/vnd.oasis.opendocument.text",
    ),
    (
        "budget.ods",
        zipped({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet"}),
        "application/vnd.oasis.opendocument.spreadsheet",
    ),
    ("logs.zip", zipped({"a.log": b"x"}), "application/zip"),
    ("empty.zip", zipped({}), "application/zip"),
    ("message.msg", ole(), "application/vnd.ms-outlook"),
]


# --- Accepted and stored ---------------------------------------------------------------------


@pytest.mark.parametrize(("name", "content", "content_type"), ALLOWED_SAMPLES)
def test_allowed_types_are_stored_under_their_digest(files_dir, name, content, content_type):
    stored = store_upload(upload(name, content, content_type="text/html"))  # the browser's type is ignored
    digest = hashlib.sha256(content).hexdigest()
    assert stored == StoredFile(key=digest, name=name, size=len(content), content_type=content_type, sha256=digest)
    assert (files_dir / digest[:2] / digest[2:4] / digest).read_bytes() == content
    with open_stored(stored.key) as handle:
        assert handle.read() == content


def test_identical_content_is_stored_once(files_dir):
    first = store_upload(upload("a.txt", b"same bytes\n"))
    second = store_upload(upload("b.txt", b"same bytes\n"))
    assert first.key == second.key and (first.name, second.name) == ("a.txt", "b.txt")
    assert [p.name for p in stored_files(files_dir)] == [first.key]  # and no temporary file left


def test_files_and_directories_are_private_to_the_owner_and_group(files_dir):
    old_umask = os.umask(0o077)  # modes are set explicitly, not left to the umask
    try:
        stored = store_upload(upload("a.txt", b"hello\n"))
    finally:
        os.umask(old_umask)
    path = files_dir / stored.key[:2] / stored.key[2:4] / stored.key
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    for directory in (files_dir, path.parent, path.parent.parent):
        assert stat.S_IMODE(directory.stat().st_mode) == 0o750


def test_a_big_file_within_the_limit_is_streamed_in_chunks(files_dir):
    content = b"0123456789abcdef\n" * (200 * 1024)  # ~3.3 MiB: several chunks
    stored = store_upload(upload("big.log", content), max_bytes=4 * MiB)
    assert stored.size == len(content) and stored.key == hashlib.sha256(content).hexdigest()


# --- Refused ---------------------------------------------------------------------------------


def test_an_empty_file_is_refused(files_dir):
    with pytest.raises(ApplicationError) as excinfo:
        store_upload(upload("empty.txt", b""))
    assert refusal(excinfo) == ("file_empty", "file")
    assert stored_files(files_dir) == []


def test_a_file_over_the_limit_is_refused_with_the_limit_in_mb(files_dir):
    with pytest.raises(ApplicationError) as excinfo:
        store_upload(upload("big.txt", b"x" * (MiB + 1)), max_bytes=MiB)
    assert refusal(excinfo) == ("file_too_large", "file")
    assert excinfo.value.message == "The file is larger than the 1 MB limit."


def test_the_default_limit_is_the_setting(files_dir, settings):
    settings.ATTACHMENT_MAX_BYTES = 25 * MiB
    upload_ = upload("big.txt", b"x")
    upload_.size = 26 * MiB  # the declared size alone refuses it
    with pytest.raises(ApplicationError, match="25 MB limit") as excinfo:
        store_upload(upload_)
    assert excinfo.value.code == "file_too_large"


def test_the_limit_holds_while_streaming_when_the_declared_size_lies(files_dir):
    lying = upload("big.txt", b"x" * (3 * 64 * 1024))
    lying.size = 10
    with pytest.raises(ApplicationError) as excinfo:
        store_upload(lying, max_bytes=100 * 1024, field="attachment")
    assert refusal(excinfo) == ("file_too_large", "attachment")
    assert stored_files(files_dir) == []  # the partial temporary file is gone


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("invoice.pdf", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + bytes(48) + b"PE\x00\x00"),
        ("invoice.pdf", b"MZ%PDF-1.7 polyglot"),
        ("notes.txt", b"\x7fELF\x02\x01\x01\x00" + bytes(8)),
        ("photo.png", b"\xcf\xfa\xed\xfe\x07\x00\x00\x01"),
        ("archive.zip", b"\xca\xfe\xba\xbe\x00\x00\x00\x02"),
        ("notes.txt", b"#!/bin/sh\nrm -rf ~\n"),
        ("notes.txt", b"\xef\xbb\xbf#!/usr/bin/env python3\nprint(1)\n"),
        ("data.csv", b"  #!/bin/bash\necho hi\n"),
        ("message.msg", ole(MSI_CLSID)),
    ],
)
def test_programs_and_scripts_are_refused_whatever_their_name(files_dir, name, content):
    with pytest.raises(ApplicationError, match="Programs and scripts") as excinfo:
        store_upload(upload(name, content, content_type="application/pdf"))
    assert refusal(excinfo) == ("file_type_not_allowed", "file")
    assert stored_files(files_dir) == []


@pytest.mark.parametrize(
    "name",
    [
        *("setup.exe", "lib.DLL", "run.bat", "run.cmd", "x.ps1", "x.sh", "app.js", "x.vbs", "setup.msi", "x.scr"),
        *("app.jar", "page.html", "page.HTM", "logo.svg", "invoice.pdf.exe", "invoice.exe. . ."),
    ],
)
def test_program_script_and_markup_extensions_are_refused(files_dir, name):
    with pytest.raises(ApplicationError, match="Programs and scripts") as excinfo:
        store_upload(upload(name, b"harmless text\n"))
    assert refusal(excinfo) == ("file_type_not_allowed", "file")


@pytest.mark.parametrize(
    ("name", "starts"), [("data.xyz", ".xyz files"), ("README", "Files without"), (".pdf", "Files without")]
)
def test_unknown_extensions_are_refused(files_dir, name, starts):
    with pytest.raises(ApplicationError) as excinfo:
        store_upload(upload(name, b"%PDF-1.7\n"))
    assert refusal(excinfo) == ("file_type_not_allowed", "file")
    assert excinfo.value.message.startswith(starts) and ".pdf" in excinfo.value.message


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("photo.png", b"<html><script>alert(1)</script></html>"),
        ("invoice.pdf", b"<svg onload=alert(1)>"),
        ("report.docx", b"%PDF-1.7\n"),
        ("notes.txt", b"PK\x03\x04\x14\x00\x00\x00"),
        ("message.msg", zipped({"a": b"b"})),
    ],
)
def test_content_that_does_not_match_the_extension_is_refused(files_dir, name, content):
    with pytest.raises(ApplicationError, match=r"The content of .* is not a \.") as excinfo:
        store_upload(upload(name, content))
    assert refusal(excinfo) == ("file_type_not_allowed", "file")


# --- Names -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("../../etc/passwd.txt", "passwd.txt"),
        ("C:\\Users\\ada\\Desktop\\report.pdf", "report.pdf"),
        ('we"ird\r\nname\x00.pdf', 'we"ird name .pdf'),
        ("invoice\u202egnp.exe", "invoicegnp.exe"),  # the bidi override that hides .exe
        ("  ..hidden.txt. . ", "hidden.txt"),
        ("Re\u0301sume\u0301.pdf", "Résumé.pdf"),  # NFC
        ("", "file"),
        ("../..", "file"),
    ],
)
def test_names_are_sanitised(raw, clean):
    assert sanitize_filename(raw) == clean


def test_long_names_keep_their_extension():
    name = sanitize_filename("a" * 500 + ".pdf")
    assert len(name) == NAME_MAX and name.endswith("a.pdf")


def test_the_stored_name_is_never_a_path(files_dir):
    evil = upload("x.txt", b"hi\n")
    evil._name = "../../../../tmp/evil.txt"  # past UploadedFile's own basename: we do not rely on it
    stored = store_upload(evil)
    assert stored.name == "evil.txt"
    assert [p.relative_to(files_dir).as_posix() for p in stored_files(files_dir)] == [
        f"{stored.key[:2]}/{stored.key[2:4]}/{stored.key}"
    ]


# --- Keys ------------------------------------------------------------------------------------


BAD_KEYS = [
    "../../../etc/passwd",
    "a" * 63,
    "a" * 65,
    "A" * 64,
    "g" * 64,
    "a" * 64 + "\n",
    "/" + "a" * 63,
    "..",
    "",
]


@pytest.mark.parametrize("key", BAD_KEYS)
def test_keys_that_are_not_a_digest_are_refused(files_dir, key):
    with pytest.raises(ApplicationError) as excinfo:
        open_stored(key)
    assert refusal(excinfo) == ("invalid", "key")
    with pytest.raises(ApplicationError):
        delete_stored(key)


def test_missing_files_and_deleting(files_dir):
    stored = store_upload(upload("a.txt", b"hello\n"))
    assert delete_stored(stored.key) is True
    assert delete_stored(stored.key) is False
    with pytest.raises(ApplicationError) as excinfo:
        open_stored(stored.key)
    assert excinfo.value.code == "not_found"


# --- Serving ---------------------------------------------------------------------------------


def served(response) -> tuple[dict[str, str], bytes]:
    body = b"".join(response.streaming_content)
    # Close the file itself: response.close() sends request_finished, which touches the
    # database connection — not allowed in these database-free tests.
    response.file_to_stream.close()
    return dict(response.headers.items()), body


SAFE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Cache-Control": "private, no-store",
    "Cross-Origin-Resource-Policy": "same-origin",
}


def test_a_pdf_is_a_download_with_safe_headers(files_dir):
    content = b"%PDF-1.7\n%%EOF\n"
    stored = store_upload(upload("Invoice 42.pdf", content))
    headers, body = served(file_response(stored))
    assert body == content
    assert headers == {
        "Content-Type": "application/pdf",
        "Content-Length": str(len(content)),
        "Content-Disposition": "attachment; filename=\"Invoice 42.pdf\"; filename*=UTF-8''Invoice%2042.pdf",
        **SAFE_HEADERS,
    }


def test_images_and_pdfs_are_inline_only_when_asked(files_dir):
    image = store_upload(upload("shot.png", b"\x89PNG\r\n\x1a\n" + bytes(8)))
    headers, _ = served(file_response(image, inline=True))
    assert headers["Content-Disposition"] == "inline; filename=\"shot.png\"; filename*=UTF-8''shot.png"
    assert headers["Content-Type"] == "image/png"
    text = store_upload(upload("notes.txt", b"hi\n"))
    headers, _ = served(file_response(text, inline=True))
    assert headers["Content-Disposition"].startswith("attachment;")


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("a.txt", b"hi"),
        ("a.csv", b"a,b"),
        ("a.json", b"{}"),
        ("a.xml", b"<a/>"),
        ("a.md", b"# x"),
        ("a.eml", b"From: x"),
    ],
)
def test_text_is_served_as_plain_text(files_dir, name, content):
    headers, body = served(file_response(store_upload(upload(name, content))))
    assert headers["Content-Type"] == "text/plain; charset=utf-8" and body == content


@pytest.mark.parametrize(
    "row_type", ["text/html", "image/svg+xml", "application/javascript", "application/xhtml+xml", ""]
)
def test_a_row_claiming_a_dangerous_type_is_served_as_bytes(files_dir, row_type):
    stored = store_upload(upload("a.txt", b"<script>alert(1)</script>"))
    row = StoredFile(key=stored.key, name="page.html", size=stored.size, content_type=row_type, sha256=stored.key)
    headers, _ = served(file_response(row, inline=True))
    assert headers["Content-Type"] == "application/octet-stream"
    assert headers["Content-Disposition"].startswith("attachment;")
    assert headers["Content-Security-Policy"] == "default-src 'none'; sandbox"


def test_awkward_names_are_encoded_safely_in_the_header():
    header = content_disposition('we"ird\r\nname; ü€ 100%.pdf')
    assert header == (
        'attachment; filename="we_ird name_ u 100_.pdf"; '
        "filename*=UTF-8''we%22ird%20name%3B%20%C3%BC%E2%82%AC%20100%25.pdf"
    )
    assert "\r" not in header and "\n" not in header
    assert content_disposition("отчёт.pdf") == (
        "attachment; filename=\"file.pdf\"; filename*=UTF-8''%D0%BE%D1%82%D1%87%D1%91%D1%82.pdf"
    )


def test_a_served_file_with_an_awkward_name(files_dir):
    stored = store_upload(upload('Ré"sumé\n.pdf', b"%PDF-1.4\n"))
    headers, _ = served(file_response(stored))
    assert headers["Content-Disposition"] == (
        "attachment; filename=\"Re_sume.pdf\"; filename*=UTF-8''R%C3%A9%22sum%C3%A9%20.pdf"
    )


# --- Big requests ----------------------------------------------------------------------------


def test_a_huge_declared_body_is_refused_before_it_is_read():
    request = RequestFactory().post("/upload", data=b"x", content_type="application/octet-stream")
    request.META["CONTENT_LENGTH"] = str(2 * 1024**3)
    with pytest.raises(ApplicationError) as excinfo:
        refuse_oversized_request(request, 25 * MiB)
    assert refusal(excinfo) == ("file_too_large", "file")
    assert excinfo.value.message == "The file is larger than the 25 MB limit."
    assert not hasattr(request, "_body") and not hasattr(request, "_files")


@pytest.mark.parametrize("length", ["", "0", "1024", str(25 * MiB + 1000), "not a number"])
def test_a_body_within_the_limit_and_its_form_passes(length):
    request = RequestFactory().get("/")
    request.META["CONTENT_LENGTH"] = length
    refuse_oversized_request(request, 25 * MiB)


def multipart_request(content: bytes):
    return RequestFactory().post(
        "/upload", {"note": "hello", "file": SimpleUploadedFile("a.txt", content), "after": "field"}
    )


def test_the_upload_handler_stops_a_file_over_the_limit_while_it_streams():
    request = multipart_request(b"x" * (300 * 1024))
    limiter = LimitedUploadHandler(100 * 1024)
    request.upload_handlers.insert(0, limiter)
    assert "file" not in request.FILES
    assert limiter.exceeded and "after" not in request.POST  # parsing stopped at the file
    with pytest.raises(ApplicationError) as excinfo:
        limiter.raise_if_exceeded()
    assert refusal(excinfo) == ("file_too_large", "file")


def test_the_upload_handler_lets_a_file_within_the_limit_through():
    request = multipart_request(b"hello\n")
    limiter = LimitedUploadHandler(100 * 1024)
    request.upload_handlers.insert(0, limiter)
    assert request.FILES["file"].read() == b"hello\n" and request.POST["after"] == "field"
    limiter.raise_if_exceeded()
    assert not limiter.exceeded


def test_the_upload_handler_defaults_to_the_setting(settings):
    settings.ATTACHMENT_MAX_BYTES = 7
    assert LimitedUploadHandler().max_bytes == 7
