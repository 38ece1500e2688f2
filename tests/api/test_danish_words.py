"""Issue 16: Danish pages in Danish: the registry's English notes marked as English, links in words and titles."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

HTML = {"Accept": "text/html"}


def test_a_documents_english_note_is_marked_english_on_the_danish_page(client: TestClient) -> None:
    doc = client.get("/documents/fp-bu-adhd").json()
    assert doc["notes"], "the registry has a note for this document"
    page = client.get("/documents/fp-bu-adhd", headers=HTML).text
    assert re.search(r'<p lang="en">[^<]*' + re.escape(doc["notes"][:30].replace("'", "&#39;")), page)
    english = client.get("/documents/fp-bu-adhd", headers=HTML, cookies={"lang": "en"}).text
    assert '<p lang="en">' not in english  # the English page is English already


def test_links_read_as_danish_words_and_titles_not_ids(client: TestClient) -> None:
    page = client.get("/documents/nkr-bipolar", headers=HTML).text
    links = page[page.index("Relationer</h2>") :]
    links = links[: links.index("</ul>")]
    assert "dette dokument" in links  # others link to it: "»…« henviser til dette dokument"
    for word in ("replaces", "references", "implements", "supplements", "revises"):
        assert f" {word} " not in links
    # A reason that rests on a link names both documents by title, in Danish.
    overlaps = client.get("/overlaps", params={"owner": "sst", "limit": 1000}).json()
    texts = [r["text"] for c in overlaps["items"] for r in c["reasons"] if r["type"] == "link"]
    assert texts and all("»" in t and not re.search(r"\b(replaces|references)\b", t) for t in texts)


def test_the_verification_and_severity_are_said_in_danish(client: TestClient) -> None:
    page = client.get("/documents/fp-bu-adhd", headers=HTML).text
    assert "set i en offentlig kilde" in page and ">verified<" not in page
    assert "<strong>Warning</strong>" not in page
