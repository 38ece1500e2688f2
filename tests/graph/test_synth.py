"""The synthetic landscape generator for benchmarks: deterministic, registry-shaped, valid."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from graph.model.landscape import landscape
from graph.store.core import Store
from graph.store.spec import open_store
from graph.validation.validate import validate
from loaders.ingest import ensure_seeded, load_files


def synth(out: Path, documents: int, seed: int) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "api.cli",
            "synth",
            "--documents",
            str(documents),
            "--seed",
            str(seed),
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr


@pytest.mark.slow  # the synth command in subprocesses
def test_the_same_seed_gives_the_same_file_and_another_seed_another(tmp_path: Path) -> None:
    synth(tmp_path / "a.ttl", 300, 5)
    synth(tmp_path / "b.ttl", 300, 5)  # a new process: a new hash seed, so set order cannot leak in
    synth(tmp_path / "c.ttl", 300, 6)
    assert (tmp_path / "a.ttl").read_bytes() == (tmp_path / "b.ttl").read_bytes()
    assert (tmp_path / "a.ttl").read_bytes() != (tmp_path / "c.ttl").read_bytes()


@pytest.mark.slow  # the synth command in subprocesses
def test_a_synthetic_landscape_keeps_the_registry_shape_and_breaks_no_rule(
    tmp_path: Path, registry_store: Store
) -> None:
    path = tmp_path / "synthetic.ttl"
    synth(path, 300, 1)
    store = open_store("memory")
    ensure_seeded(store)
    load_files(store, [path], progress=False)
    land = landscape(store)
    synthetic = [d for d in land.documents.values() if d.id.startswith("synth-")]
    assert len(synthetic) == 300
    real_kinds = Counter(d.kind for d in landscape(registry_store).documents.values())
    kinds = Counter(d.kind for d in synthetic)
    assert set(kinds) <= set(real_kinds)
    top_real = real_kinds.most_common(1)[0][0]
    assert kinds[top_real] >= 0.5 * 300 * real_kinds[top_real] / sum(real_kinds.values())
    report = validate(store.union())  # the data-quality shapes: a synthetic landscape may have gaps
    assert report.conforms, [r for r in report.results if r.severity == "Violation"][:3]
