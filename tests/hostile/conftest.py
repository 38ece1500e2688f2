"""Fixtures for the hostile-input suite, and the summary of how each input was answered.

``listener`` is a listening socket on a free loopback port: corpus files point their remote
contexts, external entities, LOAD and SERVICE at it, and a test passes only if nothing ever
connected.  ``secret`` is a file whose text must never show up in the store or an answer.
``hostile_server`` serves a persistent store loaded (with the real CLI) with titles and
organisation names that are HTML and spreadsheet-formula payloads.

Each test reports ``answered(class, case, how)``; after the run the terminal summary prints
how many hostile inputs of each class were tried and how they were answered.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.api.conftest import start_server, stop
from tests.hostile.corpus import CORPUS, FileCase, materialise

Answer = Callable[[str, str, str], None]
_ANSWERS: list[tuple[str, str, str]] = []
_FUZZED: list[tuple[str, int, int, dict[int, int]]] = []


@dataclass
class Listener:
    """A loopback port that must see no connection."""

    sock: socket.socket
    port: int

    def assert_untouched(self) -> None:
        """Fail if anything connected since the start (a pending or accepted connection)."""
        try:
            connection, peer = self.sock.accept()
        except BlockingIOError:
            return
        connection.close()
        pytest.fail(f"something connected to the listener from {peer}: a URL was fetched")


@dataclass(frozen=True)
class Secret:
    """A file whose text must appear nowhere."""

    path: Path
    text: str


@dataclass(frozen=True)
class HostileStore:
    """The persistent store with the HTML corpus loaded, and what the CLI exported from it."""

    directory: Path
    gaps_csv: str
    check_csv: str


@pytest.fixture(scope="session")
def listener() -> Iterator[Listener]:
    """A listening socket on a free loopback port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        sock.setblocking(False)
        yield Listener(sock, int(sock.getsockname()[1]))


@pytest.fixture(scope="session")
def secret(tmp_path_factory: pytest.TempPathFactory) -> Secret:
    """A file with a unique text."""
    text = f"retningsgraf-secret-{uuid.uuid4().hex}"
    path = tmp_path_factory.mktemp("secret") / "secret.txt"
    path.write_text(text)
    return Secret(path, text)


@pytest.fixture(scope="session")
def corpus_files(
    tmp_path_factory: pytest.TempPathFactory, listener: Listener, secret: Secret
) -> Callable[[FileCase], Path]:
    """Return the materialised file of a case, writing each (generated ones included) once."""
    directory = tmp_path_factory.mktemp("corpus")
    made: dict[str, Path] = {}

    def get(case: FileCase) -> Path:
        if case.id not in made:
            target = directory / case.cls
            target.mkdir(exist_ok=True)
            made[case.id] = materialise(case, target, listener.port, secret.path)
        return made[case.id]

    return get


@pytest.fixture
def answered(request: pytest.FixtureRequest) -> Answer:
    """Record how a hostile input was answered, for the summary."""

    def record(cls: str, case: str, how: str) -> None:
        request.node.user_properties.append(("hostile", (cls, case, how)))

    return record


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    """Run ``retningsgraf`` as a user does."""
    return subprocess.run(
        [sys.executable, "-m", "api.cli", *args], capture_output=True, text=True, timeout=120, check=False
    )


@pytest.fixture(scope="session")
def hostile_store(tmp_path_factory: pytest.TempPathFactory) -> HostileStore:
    """A persistent store with the markup and formula payloads, loaded and exported with the CLI."""
    directory = tmp_path_factory.mktemp("hostile-store") / "db"
    store = f"oxigraph:{directory}"
    html = CORPUS / "html"
    done = cli("load", "--store", store, str(html / "xss-organisations.yaml"), str(html / "xss-titles.csv"))
    assert done.returncode == 0, done.stderr
    gaps = cli("gaps", "--store", store, "--format", "csv")
    assert gaps.returncode == 0, gaps.stderr
    draft = directory.parent / "draft.yaml"
    draft.write_text("title: Depression hos voksne - udredning og behandling\ndisease_areas: [F32]\n")
    check = cli("check-draft", "--store", store, "--format", "csv", "--limit", "40", str(draft))
    assert check.returncode == 0, check.stderr
    return HostileStore(directory, gaps.stdout, check.stdout)


@pytest.fixture(scope="session")
def hostile_server(hostile_store: HostileStore) -> Iterator[str]:
    """A real uvicorn on the hostile store, with a 1.5 s and 100-row SPARQL limit and CORS off."""
    process, url = start_server(
        "--store", f"oxigraph:{hostile_store.directory}", "--sparql-timeout", "1.5", "--sparql-max-rows", "100"
    )
    try:
        yield url
    finally:
        stop(process)


# The summary ------------------------------------------------------------------------------------


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Collect the answers the passing and failing tests recorded."""
    if report.when != "call":
        return
    for name, value in report.user_properties:
        if name == "hostile":
            cls, case, how = value  # type: ignore[misc]
            _ANSWERS.append((cls, case, how if report.passed else f"FAILED: {how}"))
        elif name == "schemathesis":
            _FUZZED.append(value)  # type: ignore[arg-type]


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print, per class, how many hostile inputs were tried and how they were answered."""
    _fuzz_summary(terminalreporter)
    if not _ANSWERS:
        return
    cases: dict[str, set[str]] = defaultdict(set)
    answers: dict[str, Counter[str]] = defaultdict(Counter)
    for cls, case, how in dict.fromkeys(_ANSWERS):
        cases[cls].add(case)
        answers[cls][how] += 1
    total = sum(len(c) for c in cases.values())
    terminalreporter.section(f"hostile inputs: {total} tried")
    for cls in sorted(cases):
        terminalreporter.write_line(f"{cls:<12} {len(cases[cls]):>3} inputs")
        for how, count in answers[cls].most_common():
            terminalreporter.write_line(f"{'':<12} {count:>3} x {how}")


def _fuzz_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print the schemathesis cases per operation, their failures and the statuses answered."""
    if not _FUZZED:
        return
    cases = sum(run[1] for run in _FUZZED)
    failed = sum(run[2] for run in _FUZZED)
    terminalreporter.section(f"schemathesis: {cases} cases on {len(_FUZZED)} operations, {failed} failed")
    for label, count, failures, statuses in sorted(_FUZZED):
        answered = " ".join(f"{status}x{n}" for status, n in statuses.items())
        terminalreporter.write_line(f"{label:<42} {count:>4} cases {failures:>3} failed   {answered}")
