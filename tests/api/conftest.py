"""The API under test: in process, or a real uvicorn on a free loopback port on each kind of store.

Most API tests ask ``client``: the app in this process (FastAPI's ``TestClient``) on the shipped
registry, as ``retningsgraf serve`` serves it, without a socket or a second process.  Tests of what
only a real server shows (HTTP clients such as SPARQLWrapper, raw request lines, time limits,
restarts, concurrent writers) ask ``server``, which runs twice: on the embedded Oxigraph store and
in remote-store mode against a real Oxigraph SPARQL server (the ``oxigraph`` package's
``oxigraph serve``).  ``test_stores_answer_alike.py`` proves both stores give the in-process answers,
and so does ``virtuoso_api``: the API in remote mode on Debian's Virtuoso, started and prepared by
``graph.store.virtuoso`` (skipped where Virtuoso is not installed, unless RETNINGSGRAF_REQUIRE_VIRTUOSO=1,
as in ``.ci/run``).
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from api.main import Settings, create_app
from graph.store import virtuoso


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(
    *args: str, env: dict[str, str] | None = None, port: int | None = None
) -> tuple[subprocess.Popen[bytes], str]:
    """Start `retningsgraf serve` and wait until /health answers (*env* adds environment variables).

    *port* is for a test that must know the URL before the server starts (a base IRI set to it).
    """
    port = port or free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "api.cli",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--rate-limit",  # the suite sends many expensive requests from one address; a test may set its own
            "0",
            "--no-warm-sparql",  # query workers on the first query, as most test servers never get one
            *args,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, **(env or {})},
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited: {process.stderr.read().decode() if process.stderr else ''}")
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return process, url
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("server did not answer /health within 60 s")


def start_sparql_server() -> tuple[subprocess.Popen[bytes], str]:
    """Start an in-memory Oxigraph SPARQL server whose default graph is the union of its graphs."""
    port = free_port()
    binary = Path(sys.executable).parent / "oxigraph"
    process = subprocess.Popen(
        [str(binary), "serve", "--bind", f"127.0.0.1:{port}", "--union-default-graph"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{url}/query", params={"query": "ASK {}"}, timeout=1)
            return process, url
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("the Oxigraph server did not start within 30 s")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture(scope="session")
def client() -> Iterator[TestClient]:
    """The app in process on the shipped registry in memory (do not write through it).

    Without the warming thread: it only computes ahead what the first request would compute.
    """
    with TestClient(create_app(Settings(warm=False))) as client:
        yield client


@pytest.fixture(scope="session", params=["embedded", "remote"])
def server(request: pytest.FixtureRequest) -> Iterator[str]:
    """Base URL of a real server on the shipped registry: embedded store, then a remote SPARQL server."""
    backend = None
    args: list[str] = []
    if request.param == "remote":
        backend, sparql_url = start_sparql_server()
        args = ["--store", f"sparql:{sparql_url}/query,{sparql_url}/update"]
    # The recorded answers' hash seed, so set order matches them (tests/api/golden.py HASH_SEED).
    process, url = start_server(*args, env={"PYTHONHASHSEED": "0"})
    try:
        yield url
    finally:
        stop(process)
        if backend is not None:
            stop(backend)


@contextlib.contextmanager
def running_virtuoso() -> Iterator[virtuoso.Virtuoso]:
    """A Virtuoso on loopback with a temporary database, prepared for remote mode, stopped afterwards.

    Skips the test where Virtuoso is not installed, or fails it if RETNINGSGRAF_REQUIRE_VIRTUOSO=1.
    """
    if virtuoso.binaries() is None:
        reason = "Virtuoso is not installed (apt-get install virtuoso-opensource)"
        if os.environ.get("RETNINGSGRAF_REQUIRE_VIRTUOSO") == "1":
            pytest.fail(f"{reason}, and RETNINGSGRAF_REQUIRE_VIRTUOSO=1")
        pytest.skip(reason)
    with (
        tempfile.TemporaryDirectory(prefix="retningsgraf-virtuoso-") as folder,
        # A small buffer pool: the test data are a few hundred thousand triples at most.
        virtuoso.local_virtuoso(Path(folder), buffers=20000) as server,
    ):
        yield server


@pytest.fixture(scope="session")
def virtuoso_api() -> Iterator[tuple[str, virtuoso.Virtuoso]]:
    """A real server in remote mode on Virtuoso, seeded with the registry on start, and the Virtuoso."""
    with running_virtuoso() as backend:
        process, url = start_server("--store", backend.store_spec, env={"PYTHONHASHSEED": "0"})
        try:
            yield url, backend
        finally:
            stop(process)


@contextlib.contextmanager
def server_with_graphs(mode: str, graphs: Mapping[str, str], *args: str) -> Iterator[str]:
    """A real server on the shipped registry plus *graphs* (graph IRI -> N-Triples), "embedded" or "remote".

    Embedded, the graphs are written into an on-disk Oxigraph store before the server opens it;
    remote, they are put into the backing Oxigraph server with the Graph Store Protocol.
    """
    import pyoxigraph as ox

    backend = None
    with tempfile.TemporaryDirectory(prefix="retningsgraf-graphs-") as folder:
        if mode == "embedded":
            store = ox.Store(folder)
            for name, triples in graphs.items():
                store.load(triples.encode(), format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(name))
            store.flush()
            del store  # closes the on-disk store, which the server then opens
            spec = f"oxigraph:{folder}"
        else:
            backend, sparql_url = start_sparql_server()
            for name, triples in graphs.items():
                response = httpx.post(
                    f"{sparql_url}/store",
                    params={"graph": name},
                    content=triples.encode(),
                    headers={"Content-Type": "application/n-triples"},
                    timeout=10,
                )
                response.raise_for_status()
            spec = f"sparql:{sparql_url}/query,{sparql_url}/update"
        process, url = start_server("--store", spec, *args)
        try:
            yield url
        finally:
            stop(process)
            if backend is not None:
                stop(backend)
