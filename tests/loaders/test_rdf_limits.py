"""RDF files get the registry loaders' field checks: length limits and no control characters."""

from __future__ import annotations

from pathlib import Path

import pytest

from graph.store.spec import open_store
from loaders import LoadError
from loaders.ingest import load_files

TITLE = "<http://purl.org/dc/terms/title>"


def _refusal(path: Path) -> str:
    store = open_store("memory")  # Oxigraph: Turtle and N-Triples take the fast path into the store
    try:
        with pytest.raises(LoadError) as caught:
            load_files(store, [path], progress=False)
        assert b"example.org" not in store.dump("nq"), "a refused file stores nothing"
    finally:
        store.close()
    return str(caught.value)


def test_a_long_title_names_file_line_property_and_subject(tmp_path: Path) -> None:
    path = tmp_path / "titles.nt"
    path.write_text(
        f'<https://example.org/ok> {TITLE} "Fin titel" .\n<https://example.org/long> {TITLE} "{"Angst " * 200}" .\n'
    )
    message = _refusal(path)
    assert f"{path}:line 2, field 'dcterms:title (title)': 1200 characters, more than the limit of 1000" in message
    assert "<https://example.org/long>" in message


def test_a_title_at_the_limit_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "titles.nt"
    path.write_text(f'<https://example.org/ok> {TITLE} "{"x" * 1000}" .\n')
    store = open_store("memory")
    try:
        (report,) = load_files(store, [path], progress=False)
        assert report.triples == 1
    finally:
        store.close()


def test_a_control_character_in_any_literal_is_refused_in_json_ld_too(tmp_path: Path) -> None:
    path = tmp_path / "notes.jsonld"
    path.write_text('{"@id": "https://example.org/a", "https://example.org/note": "a bell \\u0007 rings"}')
    assert "field '<https://example.org/note>': control character U+0007 in the text" in _refusal(path)


def test_a_control_character_in_a_turtle_file_is_refused_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "notes.nt"
    path.write_text(
        '<https://example.org/a> <https://example.org/note> "fin" .\n'
        '<https://example.org/b> <https://example.org/note> "the bell in the ward rings \\u0007 twice" .\n'
    )
    message = _refusal(path)
    assert f"{path}:line 2" in message and "control character U+0007" in message


def test_any_literal_beyond_the_longest_accepted_is_refused_from_a_turtle_file(tmp_path: Path) -> None:
    path = tmp_path / "notes.nt"
    path.write_text(f'<https://example.org/a> <https://example.org/note> "{"x" * 20_001}" .\n')
    assert "20001 characters" in _refusal(path)
