"""Issue 12, part 1 ("Nothing lost, nothing silently wrong"): imports never overwrite each other by accident.

Through the real command line and a real server's ``POST /import``, on a persistent store (oxigraph:DIR).
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from openpyxl import Workbook

from tests.api.conftest import start_server, stop

pytestmark = pytest.mark.slow  # the command line in subprocesses, and a real server

HEADER = ["id", "title", "kind", "owners", "disease_areas", "status", "sources"]
EDITOR = "e" * 24
AS_EDITOR = {"Authorization": f"Bearer {EDITOR}"}
BASE = "https://w3id.org/retningsgraf/"


def rows(prefix: str, count: int = 2) -> list[list[str]]:
    return [
        [
            f"{prefix}-{n}",
            f"Angst hos voksne {n}",
            "NKA",
            "sst",
            "F41",
            "published",
            f"https://example.org/{prefix}/{n}",
        ]
        for n in range(count)
    ]


def write_csv(path: Path, prefix: str, count: int = 2) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(",".join(r) for r in [HEADER, *rows(prefix, count)]) + "\n", encoding="utf-8")
    return path


def write_broken(path: Path) -> Path:
    """A list whose row 2 names a kind that does not exist."""
    path.write_text(",".join(HEADER) + "\nbad-1,Angst,XX,sst,F41,published,https://example.org/x\n", encoding="utf-8")
    return path


def write_xlsx(path: Path, prefix: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    book = Workbook()
    for row in [HEADER, *rows(prefix)]:
        book.active.append(row)
    book.save(path)
    return path


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "api.cli", *args], capture_output=True, text=True, timeout=300, check=False, cwd=cwd
    )


def load(store: str, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return run("load", "--store", store, *args, cwd=cwd)


def quads(store: str) -> list[str]:
    done = run("export", "--store", store, "--format", "nq")
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def graph_of(output: str) -> str:
    found = re.findall(r"-> <([^>]+)>", output)
    assert len(found) == 1, output
    return found[0]


def document_count(output: str) -> int:
    found = re.search(r"Lageret har nu (\d+) dokumenter", output)
    assert found, output
    return int(found.group(1))


# The command line ---------------------------------------------------------------------------


def test_a_csv_and_an_xlsx_of_the_same_name_get_two_graphs_and_both_keep_their_documents(tmp_path: Path) -> None:
    store = f"oxigraph:{tmp_path / 'db'}"
    first = load(store, str(write_csv(tmp_path / "my-list.csv", "csv")))
    assert first.returncode == 0, first.stderr
    second = load(store, str(write_xlsx(tmp_path / "other" / "my-list.xlsx", "xlsx")))
    assert second.returncode == 0, second.stderr
    assert graph_of(first.stdout) != graph_of(second.stdout)
    assert document_count(second.stdout) == document_count(first.stdout) + 2, "nothing of the first file is lost"
    assert "erstatter" not in second.stdout


def test_file_names_that_differ_only_in_danish_letters_get_two_graphs_that_keep_the_letters(tmp_path: Path) -> None:
    store = f"oxigraph:{tmp_path / 'db'}"
    first = load(store, str(write_csv(tmp_path / "ængstelse.csv", "ae")))
    second = load(store, str(write_csv(tmp_path / "øngstelse.csv", "oe")))
    assert (first.returncode, second.returncode) == (0, 0), first.stderr + second.stderr
    assert graph_of(first.stdout) == f"{BASE}graph/import/ængstelse.csv"
    assert graph_of(second.stdout) == f"{BASE}graph/import/øngstelse.csv"
    assert document_count(second.stdout) == document_count(first.stdout) + 2


def test_another_file_of_the_same_name_is_refused_until_replace_which_says_what_it_removes(tmp_path: Path) -> None:
    store = f"oxigraph:{tmp_path / 'db'}"
    mine = write_csv(tmp_path / "my-list.csv", "mine", 3)
    theirs = write_csv(tmp_path / "other" / "my-list.csv", "theirs", 1)
    first = load(store, str(mine))
    assert first.returncode == 0, first.stderr
    added = int(re.search(r"(\d+) tripler", first.stdout).group(1))  # type: ignore[union-attr]
    before = quads(store)

    refused = load(store, str(theirs))
    assert refused.returncode == 2
    assert str(mine.resolve()) in refused.stderr, "the message names the file the graph came from"
    assert "--graph NAME" in refused.stderr and "--replace" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert sorted(quads(store)) == sorted(before), "a refused load changes nothing"

    replaced = load(store, "--replace", str(theirs))
    assert replaced.returncode == 0, replaced.stderr
    assert f"(fra {mine.resolve()}): fjernede 3 dokumenter, {added} tripler" in replaced.stdout
    assert document_count(replaced.stdout) == document_count(first.stdout) - 2
    exported = "\n".join(quads(store))
    assert "document/theirs-0" in exported and "document/mine-0" not in exported


def test_two_files_of_the_same_name_in_one_load_are_refused_together(tmp_path: Path) -> None:
    store = f"oxigraph:{tmp_path / 'db'}"
    first = write_csv(tmp_path / "a" / "my-list.csv", "a")
    done = load(store, str(first), str(write_csv(tmp_path / "b" / "my-list.csv", "b")))
    assert done.returncode == 2
    assert f"this file and {first.resolve()} would both go to graph <{BASE}graph/import/my-list.csv>" in done.stderr
    assert not (tmp_path / "db").exists()


def test_loading_the_same_file_again_replaces_its_own_graph(tmp_path: Path) -> None:
    store = f"oxigraph:{tmp_path / 'db'}"
    path = write_csv(tmp_path / "my-list.csv", "mine", 2)
    first = load(store, str(path))
    write_csv(path, "mine", 3)  # the coordinator added a row
    # From another working directory: the same file is the same absolute path.
    again = load(store, "my-list.csv", cwd=tmp_path)
    assert (first.returncode, again.returncode) == (0, 0), again.stderr
    assert "fjernede 2 dokumenter" in again.stdout
    assert document_count(again.stdout) == document_count(first.stdout) + 1


def test_graph_option_names_the_graph_and_refuses_a_name_an_iri_cannot_hold(tmp_path: Path) -> None:
    store = f"oxigraph:{tmp_path / 'db'}"
    path = write_csv(tmp_path / "my-list.csv", "named")
    named = load(store, "--graph", "region-nord-2026", str(path))
    assert named.returncode == 0, named.stderr
    assert graph_of(named.stdout) == f"{BASE}graph/import/region-nord-2026"
    before = quads(store)
    bad = load(store, "--graph", "../registry/sst", str(write_csv(tmp_path / "b.csv", "b")))
    assert bad.returncode == 2 and "invalid graph name '../registry/sst'" in bad.stderr
    assert sorted(quads(store)) == sorted(before)


def test_load_into_the_in_memory_store_is_refused_with_exit_2_naming_a_persistent_store(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "my-list.csv", "mem")
    done = run("load", str(path))
    assert done.returncode == 2
    assert "--store oxigraph:DIR" in done.stderr and "--dry-run" in done.stderr
    assert "Lageret har nu" not in done.stdout


def test_dry_run_reports_what_a_load_would_add_and_makes_no_store(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "my-list.csv", "dry", 2)
    directory, empty = tmp_path / "new-db", tmp_path / "empty-db"
    empty.mkdir()
    trials = [load(store, "--dry-run", str(path)) for store in ("memory", f"oxigraph:{directory}", f"oxigraph:{empty}")]
    for done in trials:
        assert done.returncode == 0, done.stderr
        assert "ville tilføje 2 dokumenter" in done.stdout and "intet er gemt" in done.stdout
    assert not directory.exists() and list(empty.iterdir()) == [], "a trial run leaves no store behind"
    real = load(f"oxigraph:{directory}", str(path))
    assert real.returncode == 0, real.stderr
    added = re.search(r"tilføjede (2 dokumenter, \d+ tripler -> <[^>]+>)", real.stdout)
    assert added and all(f"ville tilføje {added.group(1)}" in done.stdout for done in trials)
    broken = load("memory", "--dry-run", str(write_broken(tmp_path / "broken.csv")))
    assert broken.returncode == 2 and "broken.csv:row 2, field 'kind'" in broken.stderr


def test_a_failed_load_into_a_new_directory_leaves_no_store_behind(tmp_path: Path) -> None:
    broken = write_broken(tmp_path / "broken.csv")
    directory = tmp_path / "new-db"
    done = load(f"oxigraph:{directory}", str(broken))
    assert done.returncode == 2 and "broken.csv:row 2, field 'kind'" in done.stderr
    assert not directory.exists()
    empty = tmp_path / "empty-db"
    empty.mkdir()
    assert load(f"oxigraph:{empty}", str(broken)).returncode == 2
    assert list(empty.iterdir()) == [], "an empty directory is left empty"


# POST /import ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """A real server on a persistent store with an editor's token; yields (url, store spec)."""
    spec = f"oxigraph:{tmp_path_factory.mktemp('imports') / 'db'}"
    process, url = start_server("--store", spec, env={"RETNINGSGRAF_TOKENS": f"eva:edit:{EDITOR}"})
    try:
        yield url, spec
    finally:
        stop(process)


def upload(url: str, name: str, body: bytes, **params: str) -> httpx.Response:
    return httpx.post(f"{url}/import", params={"name": name, **params}, content=body, headers=AS_EDITOR, timeout=60)


def csv_bytes(prefix: str, count: int = 2) -> bytes:
    return ("\n".join(",".join(r) for r in [HEADER, *rows(prefix, count)]) + "\n").encode()


def test_import_of_a_csv_and_an_xlsx_of_the_same_name_keeps_both(server: tuple[str, str], tmp_path: Path) -> None:
    url, _ = server
    before = httpx.get(f"{url}/health").json()["documents"]
    first = upload(url, "api-list.csv", csv_bytes("api-csv"))
    second = upload(url, "api-list.xlsx", write_xlsx(tmp_path / "api-list.xlsx", "api-xlsx").read_bytes())
    assert (first.status_code, second.status_code) == (200, 200), second.text
    assert first.json()[0]["graph"] != second.json()[0]["graph"]
    assert second.json()[0]["replaced"] is None
    assert httpx.get(f"{url}/health").json()["documents"] == before + 4


def test_import_of_the_same_name_again_replaces_its_graph_and_says_what_it_removed(server: tuple[str, str]) -> None:
    url, _ = server
    first = upload(url, "again.csv", csv_bytes("again", 2))
    assert first.status_code == 200, first.text
    second = upload(url, "again.csv", csv_bytes("again", 3))
    assert second.status_code == 200, second.text
    assert second.json()[0]["replaced"] == {
        "origin": "upload:again.csv",
        "documents": 2,
        "triples": first.json()[0]["triples"],
    }


def test_import_into_a_graph_another_file_made_is_409_until_replace(server: tuple[str, str]) -> None:
    url, _ = server
    first = upload(url, "region.csv", csv_bytes("region-a"), graph="region-liste")
    assert first.status_code == 200, first.text
    before = httpx.get(f"{url}/health").json()
    clash = upload(url, "other-region.csv", csv_bytes("region-b", 1), graph="region-liste")
    assert clash.status_code == 409
    assert "upload:region.csv" in clash.json()["detail"] and "replace=true" in clash.json()["detail"]
    assert httpx.get(f"{url}/health").json() == before, "a refused import changes nothing"
    assert httpx.get(f"{url}/documents/region-a-0").status_code == 200

    replaced = upload(url, "other-region.csv", csv_bytes("region-b", 1), graph="region-liste", replace="true")
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()[0]["replaced"]["documents"] == 2
    assert replaced.json()[0]["replaced"]["origin"] == "upload:region.csv"
    assert httpx.get(f"{url}/documents/region-a-0").status_code == 404
    assert httpx.get(f"{url}/documents/region-b-0").status_code == 200


def test_a_store_the_server_holds_is_named_in_use_not_a_rocksdb_lock(server: tuple[str, str], tmp_path: Path) -> None:
    _, spec = server
    done = load(spec, str(write_csv(tmp_path / "late.csv", "late")))
    assert done.returncode == 2
    assert "in use by another process" in done.stderr and "serve" in done.stderr
    assert "LOCK" not in done.stderr and "Traceback" not in done.stderr
