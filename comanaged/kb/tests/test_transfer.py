"""Import and export of a client's knowledge base as Markdown (R34): a round trip recreates the
articles as drafts, secrets never leave the vault, and a hostile zip (zip-slip, bombs, links,
nested archives, bad encodings) creates nothing it should not and writes nothing to disk."""

from __future__ import annotations

import io
import re
import stat
import struct
import zipfile
from html import unescape

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import given, settings
from hypothesis import strategies as st

from comanaged.core.errors import ApplicationError
from comanaged.core.models import AuditEntry
from comanaged.kb import transfer
from comanaged.kb.choices import ArticleStatus, Visibility
from comanaged.kb.documents import document_save
from comanaged.kb.errors import KbErrorCode
from comanaged.kb.markdown import render
from comanaged.kb.models import Article, Category, DocumentTemplate
from comanaged.kb.services import BODY_MAX, article_create
from comanaged.kb.tests.helpers import company, technician
from comanaged.kb.vault import credential_save
from comanaged.tenancy.tests.factories import make_staff

pytestmark = pytest.mark.django_db

PASSWORD = "Hunter2-export-canary-7f3a9"
NOTES = "Break-glass note canary 51be"
SEED = "JBSWY3DPEHPK3PXP"
SAFE_MEMBER = re.compile(r"index\.md|articles/[a-z0-9_-]+\.md|documents/[a-z0-9_-]+/[a-z0-9_-]+\.md")


def members(content: bytes) -> dict[str, str]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return {info.filename: archive.read(info).decode("utf-8") for info in archive.infolist()}


def zip_of(*entries: tuple[str | zipfile.ZipInfo, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries:
            archive.writestr(name, data)
    return buffer.getvalue()


def mark_encrypted(data: bytes, name: str) -> bytes:
    """Set the "encrypted" flag of one entry, in its local header and its directory record
    (``zipfile`` clears the flag when writing)."""
    patched = bytearray(data)
    for signature, flags_at, name_length_at, name_at in ((b"PK\x03\x04", 6, 26, 30), (b"PK\x01\x02", 8, 28, 46)):
        at = patched.find(signature)
        while at >= 0:
            (length,) = struct.unpack_from("<H", patched, at + name_length_at)
            if patched[at + name_at : at + name_at + length] == name.encode():
                patched[at + flags_at] |= 0x1
            at = patched.find(signature, at + 4)
    return bytes(patched)


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def template() -> DocumentTemplate:
    found, _ = DocumentTemplate.objects.get_or_create(
        slug="transfer-test",
        defaults={
            "name": "Firewall",
            "fields": [{"key": "model", "label": "Model", "type": "text", "required": False}],
        },
    )
    return found


def documented(acme, *, title="Edge firewall"):
    """A document of the client with a credential whose secrets must never be exported."""
    document = document_save(
        actor=acme.poc, client=acme.client, template=template(), title=title, values={"model": "FortiGate 60F"},
        body="Rack 2, top.\n",
    )  # fmt: skip
    credential_save(
        actor=acme.poc, document=document, name="Firewall admin", username="fwadmin",
        url="https://fw.acme.example", password=PASSWORD, notes=NOTES, totp_seed=SEED,
    )  # fmt: skip
    return document


def client_articles(client) -> list[Article]:
    return list(Article.objects.filter(client=client).select_related("current_version").order_by("title", "id"))


# --- Export ----------------------------------------------------------------------------------


def test_r34_export_then_import_into_another_client_recreates_the_articles_as_drafts():
    acme, globex = company(), company()
    how_to, _ = Category.objects.get_or_create(name="How-to")
    article_create(
        actor=acme.poc, client=acme.client, title='VPN: "split" tunnel set-up', category=how_to,
        body="## Steps\n\n1. Open *FortiClient*\n2. Connect\n\n| a | b |\n|---|---|\n| 1 | 2 |\n",
        tags=["vpn", "remote access"], visibility=Visibility.END_USERS, publish=True,
    )  # fmt: skip
    article_create(actor=acme.poc, client=acme.client, title="Printer, 2nd floor", body="\nStarts with a blank line")
    article_create(actor=acme.poc, client=acme.client, title="Same title", body="First")
    article_create(actor=acme.poc, client=acme.client, title="Same title", body="Second")
    article_create(actor=acme.poc, client=acme.client, title="Café ☕ notes", body="# Not the title\n\ntext")
    documented(acme)
    hidden = article_create(actor=technician(), client=acme.client, title="Internal only", visibility="internal")
    article_create(actor=technician(), client=None, title="Provider-wide how-to", publish=True)
    article_create(actor=globex.poc, client=globex.client, title="Globex's own", body="theirs")

    name, content = transfer.export_zip(actor=acme.poc, client=acme.client)

    assert name.endswith(".zip") and acme.client.code in name
    files = members(content)
    assert all(SAFE_MEMBER.fullmatch(path) for path in files), sorted(files)
    assert "index.md" in files and "documents/transfer-test/edge-firewall.md" in files
    assert {"articles/same-title.md", "articles/same-title-2.md", "articles/cafe-notes.md"} <= set(files)
    text = "\n".join(files.values())
    for absent in ("Internal only", "Provider-wide how-to", "Globex's own"):  # R34: only what the POC reads
        assert absent not in text
    assert hidden.pk and "VPN" in files["index.md"] and "Edge firewall" in files["index.md"]
    assert AuditEntry.objects.filter(action="export", client_id=acme.client.pk).count() == 1

    report = transfer.import_markdown(actor=globex.poc, client=globex.client, upload=upload(name, content))

    source = [a for a in client_articles(acme.client) if a.visibility != Visibility.INTERNAL]
    assert sorted(report.created) == sorted(a.title for a in source)
    skipped = dict(report.skipped)
    assert set(skipped) == {"index.md", "documents/transfer-test/edge-firewall.md"}
    imported = [a for a in client_articles(globex.client) if a.title != "Globex's own"]
    assert [(a.title, a.current_version.body) for a in imported] == [(a.title, a.current_version.body) for a in source]
    assert {a.status for a in imported} == {ArticleStatus.DRAFT}
    assert {a.visibility for a in imported} == {Visibility.CLIENT}
    vpn = next(a for a in imported if a.title.startswith("VPN"))
    assert sorted(vpn.tags.values_list("name", flat=True)) == ["remote access", "vpn"]
    assert vpn.category == how_to
    assert AuditEntry.objects.filter(action="import", client_id=globex.client.pk).count() == 1

    again = transfer.import_markdown(actor=globex.poc, client=globex.client, upload=upload(name, content))
    assert again.created == []  # an exact copy is skipped: importing twice adds nothing
    assert Article.objects.filter(client=globex.client).count() == len(imported) + 1


def test_r34_export_front_matter_is_yaml_with_the_document_template_and_values():
    yaml = pytest.importorskip("yaml")
    acme = company()
    article_create(
        actor=acme.poc, client=acme.client, title="Colon: 'quotes' \"and\" # hash", body="Body\n", tags=["a"],
    )  # fmt: skip
    documented(acme)
    files = members(transfer.export_zip(actor=acme.poc, client=acme.client)[1])

    head = yaml.safe_load(files["articles/colon-quotes-and-hash.md"].split("---\n")[1])
    assert head["title"] == "Colon: 'quotes' \"and\" # hash"
    assert (head["kind"], head["status"], head["visibility"], head["tags"], head["version"]) == (
        "article", "draft", "client", ["a"], 1,
    )  # fmt: skip
    assert files["articles/colon-quotes-and-hash.md"].endswith("---\n\nBody\n")
    document = files["documents/transfer-test/edge-firewall.md"]
    head = yaml.safe_load(document.split("---\n")[1])
    assert head["template"] == "transfer-test" and head["fields"] == {"model": "FortiGate 60F"}
    assert "Rack 2, top." in document and "Firewall admin" in document and "fwadmin" in document
    assert transfer.SECRETS_NOTE in document


def test_r34_no_credential_secret_is_ever_exported():
    acme = company()
    documented(acme)
    editor = make_staff("technician").user  # staff may reveal; the export still carries no secret
    for actor in (acme.poc, editor):
        _, content = transfer.export_zip(actor=actor, client=acme.client)
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            for info in archive.infolist():
                data = archive.read(info)
                for secret in (PASSWORD, NOTES, SEED):
                    assert secret.encode() not in data, info.filename
        assert "Firewall admin" in members(content)["documents/transfer-test/edge-firewall.md"]


def test_r34_export_file_names_are_safe_unique_slugs_whatever_the_titles():
    acme = company()
    for title in ("../../etc/passwd", "CON", "☕☕", "C:\\Windows\\evil", "a" * 200, "Same", "same", "SAME"):
        article_create(actor=acme.poc, client=acme.client, title=title)
    files = members(transfer.export_zip(actor=acme.poc, client=acme.client)[1])
    assert all(SAFE_MEMBER.fullmatch(path) for path in files), sorted(files)
    assert len({path.lower() for path in files}) == len(files) == 9
    assert "articles/con-1.md" in files and "articles/etcpasswd.md" in files
    assert any(re.fullmatch(r"articles/article-\d+\.md", path) for path in files)


def test_r34_export_and_import_are_for_the_clients_editors_only():
    acme, globex = company(), company()
    article_create(actor=acme.poc, client=acme.client, title="Secret plans")
    billing = make_staff("billing").user  # staff whose role does not write documentation
    _, content = transfer.export_zip(actor=acme.poc, client=acme.client)
    before = Article.objects.count()
    for outsider in (acme.end_user, globex.poc, globex.end_user, billing):
        with pytest.raises(PermissionDenied):
            transfer.export_zip(actor=outsider, client=acme.client)
        with pytest.raises(PermissionDenied):
            transfer.import_markdown(actor=outsider, client=acme.client, upload=upload("kb.zip", content))
    assert Article.objects.count() == before
    assert not AuditEntry.objects.filter(action__in=["export", "import"], client_id=acme.client.pk).exclude(
        actor=acme.poc
    )
    transfer.export_zip(actor=technician(), client=acme.client)  # a knowledge editor in scope may


# --- Import: single files --------------------------------------------------------------------


def test_r34_a_single_markdown_file_becomes_a_draft_titled_by_front_matter_heading_or_name():
    acme = company()
    cases = [
        ("a.md", b'---\ntitle: "From: front matter"\ntags: [howto]\n---\n# Heading\n\ntext', "From: front matter"),
        ("b.markdown", b"\n# From the *heading*\n\nThe text.\n", "From the *heading*"),
        ("reset_the-vpn.txt", "Just text, café.\n".encode(), "Reset the vpn"),
        ("bom.md", b"\xef\xbb\xbf# With BOM\r\n\r\nWindows lines\r\n", "With BOM"),
    ]
    for name, content, title in cases:
        report = transfer.import_markdown(actor=acme.poc, client=acme.client, upload=upload(name, content))
        assert report == transfer.ImportReport(created=[title], skipped=[])
    articles = {a.title: a for a in client_articles(acme.client)}
    assert articles["From: front matter"].current_version.body == "# Heading\n\ntext"
    assert articles["From the *heading*"].current_version.body == "The text.\n"  # the opening heading is the title
    assert articles["With BOM"].current_version.body == "Windows lines\n"
    assert {a.status for a in articles.values()} == {ArticleStatus.DRAFT}


@pytest.mark.parametrize(
    ("name", "content", "says"),
    [
        ("notes.md", b"", "empty"),
        ("notes.md", b"   \n\n", "empty"),
        ("notes.md", b"caf\xe9 latin-1", "UTF-8"),
        ("notes.md", b"\xff\xfe#\x00 \x00", "UTF-8"),
        ("notes.md", b"a" * (BODY_MAX + 1), "Too long"),
        ("notes.md", b"a" * (transfer.MAX_FILE_BYTES + 1), "larger than"),
        ("kb.zip", b"# I am Markdown, not a zip\n", "not a zip"),
        ("kb.zip", b"PK\x03\x04 truncated", "not a zip"),
        ("kb.zip", b"", "empty"),
        ("kb.zip", zip_of(), "empty"),
        ("photo.pdf", b"%PDF-1.7", "Markdown file"),
        ("no-extension", b"# x", "Markdown file"),
    ],
)
def test_r34_an_unusable_upload_is_refused_and_creates_nothing(name, content, says):
    acme = company()
    with pytest.raises(ApplicationError) as refused:
        transfer.import_markdown(actor=acme.poc, client=acme.client, upload=upload(name, content))
    assert refused.value.code == KbErrorCode.IMPORT_INVALID and refused.value.field == "upload"
    assert says.lower() in refused.value.message.lower()
    assert not Article.objects.filter(client=acme.client).exists()
    assert not AuditEntry.objects.filter(action="import").exists()


def test_r34_duplicate_titles_are_imported_beside_but_an_exact_copy_is_skipped():
    acme = company()
    article_create(actor=acme.poc, client=acme.client, title="Wi-Fi", body="Old text")
    content = zip_of(
        ("new.md", b"# Wi-Fi\n\nNew text"), ("copy.md", b"# Wi-Fi\n\nOld text"), ("twin.md", b"# Wi-Fi\n\nNew text")
    )
    report = transfer.import_markdown(actor=acme.poc, client=acme.client, upload=upload("kb.zip", content))
    assert report.created == ["Wi-Fi"]
    assert [name for name, _ in report.skipped] == ["copy.md", "twin.md"]
    assert sorted(a.current_version.body for a in client_articles(acme.client)) == ["New text", "Old text"]
    with pytest.raises(ApplicationError, match="already there"):
        transfer.import_markdown(actor=acme.poc, client=acme.client, upload=upload("copy.md", b"# Wi-Fi\n\nOld text"))


# --- Import: hostile archives ----------------------------------------------------------------


def test_r34_zip_slip_entries_are_skipped_reported_and_never_written(tmp_path, monkeypatch):
    acme = company()
    monkeypatch.chdir(tmp_path)

    def never(*args, **kwargs):
        raise AssertionError("an import never extracts to disk")

    monkeypatch.setattr(zipfile.ZipFile, "extract", never)
    monkeypatch.setattr(zipfile.ZipFile, "extractall", never)
    hostile = [
        "../evil.md",
        "notes/../../evil.md",
        "/etc/cron.d/evil.md",
        "C:/Windows/evil.md",
        "c:evil.md",
        "..\\..\\evil.md",
        "notes\\evil.md",
        "notes/\x1b[2Jevil.md",  # a terminal escape in the name
    ]
    content = zip_of(*[(name, b"# Evil\n\npwned") for name in hostile], ("notes/fine.md", b"# Fine\n\nok"))
    report = transfer.import_markdown(actor=acme.poc, client=acme.client, upload=upload("kb.zip", content))
    assert report.created == ["Fine"]
    assert len(report.skipped) == len(hostile)
    assert all(reason.startswith("Unsafe path") for _, reason in report.skipped), report.skipped
    assert [title for (title,) in Article.objects.filter(client=acme.client).values_list("title")] == ["Fine"]
    assert list(tmp_path.iterdir()) == []
    assert not (tmp_path.parent / "evil.md").exists()


def test_r34_links_nested_archives_encrypted_and_other_files_are_skipped_with_a_reason():
    acme = company()
    link = zipfile.ZipInfo("link.md")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    content = zip_of(
        (link, b"/etc/passwd"),
        ("locked.md", b"# Locked"),
        ("inner.zip", zip_of(("deep.md", b"# Deep"))),
        ("renamed.md", zip_of(("deep.md", b"# Deep"))),
        ("latin1.md", b"caf\xe9"),
        ("empty.md", b""),
        ("huge.md", b"a" * (BODY_MAX + 1)),
        ("photo.png", b"\x89PNG\r\n\x1a\n"),
        ("__MACOSX/._fine.md", b"\x00\x05\x16\x07"),
        ("folder/", b""),
        ("folder/fine.md", b'---\ntitle: Fine\ntags: ["Bad tag!"]\n---\nx'),
        ("folder/ok.md", b"---\ntitle: OK\n---\nx"),
    )
    content = mark_encrypted(content, "locked.md")
    report = transfer.import_markdown(actor=acme.poc, client=acme.client, upload=upload("kb.zip", content))
    assert report.created == ["OK"]
    reasons = dict(report.skipped)
    assert "symbolic link" in reasons["link.md"]
    assert "Encrypted" in reasons["locked.md"]
    assert "archive inside" in reasons["inner.zip"] and "archive inside" in reasons["renamed.md"]
    assert "UTF-8" in reasons["latin1.md"]
    assert "empty" in reasons["empty.md"]
    assert "Too long" in reasons["huge.md"]
    assert "Not a Markdown file" in reasons["photo.png"]
    assert "macOS" in reasons["__MACOSX/._fine.md"]
    assert "Tag" in reasons["folder/fine.md"]
    assert "folder/" not in reasons  # a folder is structure, not a skipped file


def test_r34_a_zip_bomb_is_refused_whole_and_creates_nothing():
    acme = company()
    bomb = zip_of(("fine.md", b"# Fine"), ("bomb.md", b"a" * (transfer.MAX_TOTAL_BYTES + 1)))
    assert len(bomb) < 100_000  # deflate: a few kilobytes that claim twenty megabytes
    many_small = zip_of(*[(f"part-{n}.md", b"a" * (transfer.MAX_FILE_BYTES - 1)) for n in range(26)])
    too_many = zip_of(*[(f"n{n}.md", b"# n") for n in range(transfer.MAX_ENTRIES + 1)])
    for content, says in ((bomb, "unpacks to more"), (many_small, "unpacks to more"), (too_many, "entries")):
        with pytest.raises(ApplicationError, match=says) as refused:
            transfer.import_markdown(actor=acme.poc, client=acme.client, upload=upload("kb.zip", content))
        assert refused.value.code == KbErrorCode.IMPORT_INVALID
    assert not Article.objects.filter(client=acme.client).exists()


def test_r34_an_entry_that_understates_its_size_yields_no_more_than_it_declared():
    acme = company()
    data = bytearray(zip_of(("liar.md", b"a" * 5_000_000), ("fine.md", b"# Fine")))
    struct.pack_into("<L", data, 22, 10)  # the local header's uncompressed size
    struct.pack_into("<L", data, data.find(b"PK\x01\x02") + 24, 10)  # and the central directory's
    report = transfer.import_markdown(actor=acme.poc, client=acme.client, upload=upload("kb.zip", bytes(data)))
    assert report.created == ["Fine"]
    assert report.skipped == [("liar.md", "Damaged, or compressed in a way that is not supported.")]


def test_r34_a_refused_file_inside_a_zip_leaves_the_others_created_in_one_import(monkeypatch):
    """Each file is created in its own savepoint: one the service refuses is reported, and an
    unexpected failure rolls the whole import back."""
    acme = company()
    content = zip_of(("a.md", b"# A"), ("b.md", b"# B"))
    original = transfer.article_create

    def failing(**kwargs):
        if kwargs["title"] == "B":
            raise RuntimeError("database went away")
        return original(**kwargs)

    monkeypatch.setattr(transfer, "article_create", failing)
    with pytest.raises(RuntimeError):
        transfer.import_markdown(actor=acme.poc, client=acme.client, upload=upload("kb.zip", content))
    assert not Article.objects.filter(client=acme.client).exists()


@pytest.mark.nodb
@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs")), max_size=60))
def test_names_in_the_exported_markdown_read_back_exactly_as_written(text):
    """A title, a credential name or a client name in index.md and in the credential list is
    Markdown text that renders as exactly those characters (no link, emphasis, list or heading)."""
    html = str(render(f"- {transfer._escape(text)}"))
    item = re.fullmatch(r"<ul>\n<li>(.*)</li>\n</ul>\n", html, re.DOTALL)
    assert item and "<" not in item.group(1), html  # one list item of text, no markup in it
    assert unescape(item.group(1)) == " ".join(text.split())


def test_r34_hostile_front_matter_is_skipped_or_dropped_not_a_500():
    from comanaged.kb.tests.helpers import company as make_company

    acme = make_company()
    deep = "---\ntags: " + "[" * 100_000 + "]" * 100_000 + '\ntitle: "x\\ud800y"\n---\nBody\n'
    report = transfer.import_markdown(
        actor=acme.poc, client=acme.client, upload=SimpleUploadedFile("deep.md", deep.encode())
    )
    assert report.created and "\ud800" not in report.created[0]
