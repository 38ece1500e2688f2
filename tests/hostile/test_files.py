"""Hostile RDF, YAML and spreadsheet files: refused whole with a clear reason, nothing read or fetched.

Each corpus file is one case, run through ``loaders.ingest.load_files`` (the store must be
exactly as before) and through the ``retningsgraf load`` command (exit 2, the file and the
reason on stderr).  The bombs are loaded once more in a separate process whose peak memory
and time are measured.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import api.cli
from graph.store.core import Store
from graph.store.spec import open_store
from loaders import LoadError
from loaders.ingest import ensure_seeded, load_files
from tests.hostile.conftest import Answer, Listener, Secret
from tests.hostile.corpus import FILE_CASES, FileCase

pytestmark = pytest.mark.slow  # the hostile corpus, through the command line too

REFUSED = [case for case in FILE_CASES if case.refusal]
ACCEPTED = [case for case in FILE_CASES if not case.refusal]
BOMBS = (
    "rdf-billion-laughs",
    "rdf-billion-laughs-late",
    "rdf-deep-nesting",
    "rdf-jsonld-deep-objects",
    "rdf-jsonld-deep-lists",
    "rdf-jsonld-scoped-big",
    "yaml-billion-laughs",
    "yaml-alias-as-id",
    "spreadsheet-xlsx-zip-bomb",
    "spreadsheet-xlsx-tag-flood",
)
MEASURE = Path(__file__).parent / "measure.py"


@pytest.fixture(scope="module")
def seeded() -> Iterator[Store]:
    """The shipped registry in memory, so spreadsheet rows can name real owners like sst."""
    store = open_store("memory")
    ensure_seeded(store)
    yield store
    store.close()


def _ids(case: FileCase) -> str:
    return case.id


@pytest.mark.parametrize("case", REFUSED, ids=_ids)
def test_load_files_refuses_the_file_whole(
    case: FileCase,
    seeded: Store,
    corpus_files: Callable[[FileCase], Path],
    listener: Listener,
    secret: Secret,
    answered: Answer,
) -> None:
    path = corpus_files(case)
    before = seeded.dump("nq")
    with pytest.raises(LoadError) as caught:
        load_files(seeded, [path], progress=False)
    message = str(caught.value)
    assert case.refusal in message, message
    assert str(path) in message
    after = seeded.dump("nq")
    assert after == before, "a refused file must leave the store exactly as it was"
    assert secret.text.encode() not in after and secret.text not in message
    listener.assert_untouched()
    answered(case.cls, case.id, "refused by load_files (LoadError naming file and reason), store unchanged")


@pytest.mark.parametrize("case", ACCEPTED, ids=_ids)
def test_harmless_files_load_without_reading_anything(
    case: FileCase,
    store: Store,
    corpus_files: Callable[[FileCase], Path],
    listener: Listener,
    secret: Secret,
    answered: Answer,
) -> None:
    (report,) = load_files(store, [corpus_files(case)], progress=False)
    assert report.triples > 0
    assert secret.text.encode() not in store.dump("nq")
    listener.assert_untouched()
    answered(case.cls, case.id, "accepted harmlessly (names only, nothing read or fetched)")


@pytest.mark.parametrize("case", REFUSED, ids=_ids)
def test_cli_load_exits_2_naming_the_file_and_reason(
    case: FileCase,
    seeded: Store,
    corpus_files: Callable[[FileCase], Path],
    listener: Listener,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    answered: Answer,
) -> None:
    # The command runs in this process on the already seeded store (seeding costs a second a run);
    # the --store it names only gets past the refusal of a load into memory.
    monkeypatch.setattr(api.cli, "_open", lambda spec: seeded)
    path = corpus_files(case)
    code = api.cli.main(["load", "--store", "oxigraph:never-opened", str(path)])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith(f"retningsgraf: {path}: refused, nothing was loaded")
    assert case.refusal in err and "Traceback" not in err
    listener.assert_untouched()
    answered(case.cls, case.id, "retningsgraf load: exit 2, file and reason on stderr")


def test_bombs_are_refused_in_bounded_memory_and_time(corpus_files: Callable[[FileCase], Path]) -> None:
    cases = {case.id: case for case in FILE_CASES}
    paths = [str(corpus_files(cases[name])) for name in BOMBS]
    done = subprocess.run(
        [sys.executable, str(MEASURE), *paths], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["refused"] == paths, result
    # Python, rdflib and Oxigraph with the vocabulary loaded take some 100 MB; before the fixes
    # these files needed gigabytes (or hit the 2 GiB cap measure.py sets) and minutes.
    assert result["max_rss_mb"] < 200, result
    assert result["seconds"] < 10, result
