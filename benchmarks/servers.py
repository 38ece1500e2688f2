"""The three HTTP servers of the latency figure, each on 127.0.0.1 with a free port and always stopped.

* the project's API (``benchmarks.serve_app``) on an Oxigraph directory restored from the load step's dump;
* an Oxigraph server (``oxigraph serve``, the PyPI package) loaded with the same data;
* Virtuoso (Debian's ``virtuoso-opensource``, installed with apt-get when missing) with a
  temporary ``virtuoso.ini`` and database directory, bulk-loaded with ``ld_dir``/``rdf_loader_run``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.harness import REPO, free_port, stop_process, wait_for_http
from graph.store.virtuoso import virtuoso_ini

__all__ = ["Server", "ServerError", "oxigraph_server", "project_server", "virtuoso_server"]

OXIGRAPH = Path(sys.executable).parent / "oxigraph"
VIRTUOSO_PACKAGE = "virtuoso-opensource"


class ServerError(RuntimeError):
    """A server could not be installed, loaded or started; the message says why."""


@dataclass
class Server:
    """A running server: where to send requests, how its data got there, and how to restart it.

    Each scenario starts on a freshly restarted process: requests a slow scenario left queued
    (their clients gave up, the server did not) must not slow the next one down.
    """

    name: str
    base_url: str
    query_path: str  # the SPARQL endpoint, or "" for the project's API
    load_s: float
    version: str
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    launch: Callable[[], subprocess.Popen[bytes]] | None = field(default=None, repr=False)

    def restart(self) -> None:
        """Stop the process and start it again on the same data and port."""
        assert self.launch is not None
        self.stop()
        self.process = self.launch()

    def stop(self) -> None:
        """Stop the process, if it runs."""
        if self.process is not None:
            stop_process(self.process, grace=30)
            self.process = None


def _run(command: list[str], timeout: float, **kwargs: object) -> subprocess.CompletedProcess[str]:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False, **kwargs)  # type: ignore[call-overload]
    except subprocess.TimeoutExpired as error:
        raise ServerError(f"{command[0]} timed out after {timeout:.0f} s") from error
    if done.returncode != 0:
        raise ServerError(f"{' '.join(command[:3])} failed: {(done.stderr or done.stdout).strip()[-500:]}")
    return done


def _start(command: list[str], log: Path, cwd: Path = REPO) -> subprocess.Popen[bytes]:
    with log.open("ab") as handle:
        return subprocess.Popen(command, cwd=cwd, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True)


def _started(
    command: list[str], log: Path, ready_url: str, timeout: float, cwd: Path = REPO
) -> subprocess.Popen[bytes]:
    """Start *command* and return it once *ready_url* answers; stop it and raise if it does not in time."""
    process = _start(command, log, cwd)
    if not wait_for_http(ready_url, timeout, process):
        stop_process(process)
        raise ServerError(f"{Path(command[0]).name} did not answer within {timeout:.0f} s: {_tail(log)}")
    return process


def _tail(log: Path) -> str:
    return log.read_text(errors="replace")[-500:] if log.exists() else ""


def _oxigraph_load(location: Path, files: list[Path], timeout: float) -> float:
    started = time.perf_counter()
    for path in files:  # one file at a time: both cores parsing at once only adds memory
        _run([str(OXIGRAPH), "load", "--location", str(location), "--file", str(path)], timeout)
    return time.perf_counter() - started


@contextmanager
def project_server(project_nq: Path, workdir: Path, timeout: float) -> Iterator[Server]:
    """Serve the project's API on an Oxigraph directory holding the load step's dump."""
    location = workdir / "project-store"
    shutil.rmtree(location, ignore_errors=True)
    load_s = _oxigraph_load(location, [project_nq], timeout)
    port = free_port()
    command = [sys.executable, "-m", "benchmarks.serve_app", f"oxigraph:{location}", str(port)]
    log = workdir / "project-server.log"
    server = Server("project", f"http://127.0.0.1:{port}", "", load_s, "")
    server.launch = lambda: _started(command, log, f"{server.base_url}/health", timeout)
    try:
        server.restart()
        yield server
    finally:
        server.stop()
        shutil.rmtree(location, ignore_errors=True)


@contextmanager
def oxigraph_server(files: list[Path], workdir: Path, timeout: float) -> Iterator[Server]:
    """Serve *files* from an Oxigraph server whose default graph is the union of all graphs."""
    location = workdir / "oxigraph-server"
    shutil.rmtree(location, ignore_errors=True)
    load_s = _oxigraph_load(location, files, timeout)
    port = free_port()
    bind = f"127.0.0.1:{port}"
    command = [str(OXIGRAPH), "serve-read-only", "--location", str(location), "--bind", bind, "--union-default-graph"]
    version = _run([str(OXIGRAPH), "--version"], 30).stdout.strip()
    server = Server("oxigraph", f"http://{bind}", "/query", load_s, version)
    log = workdir / "oxigraph-server.log"
    server.launch = lambda: _started(command, log, f"{server.base_url}/query?query=ASK%7B%7D", timeout)
    try:
        server.restart()
        yield server
    finally:
        server.stop()
        shutil.rmtree(location, ignore_errors=True)


# Virtuoso ----------------------------------------------------------------------------------


def ensure_virtuoso(timeout: float) -> str:
    """Return the path of ``virtuoso-t``, installing Debian's package with apt-get if it is missing."""
    found = shutil.which("virtuoso-t")
    if found:
        return found
    if os.geteuid() != 0:
        raise ServerError("virtuoso-t is missing and installing it needs root")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    _run(["apt-get", "update"], timeout, env=env)
    _run(["apt-get", "install", "-y", "--no-install-recommends", VIRTUOSO_PACKAGE], timeout, env=env)
    found = shutil.which("virtuoso-t")
    if not found:
        raise ServerError(f"apt-get installed {VIRTUOSO_PACKAGE} but virtuoso-t is not on PATH")
    return found


def _isql(binary: str, port: int, statement: str, timeout: float) -> str:
    return _run([binary, f"127.0.0.1:{port}", "dba", "dba", f"exec={statement}"], timeout).stdout


@contextmanager
def virtuoso_server(files: list[Path], workdir: Path, timeout: float) -> Iterator[Server]:
    """Install if needed, start Virtuoso on loopback with a temporary database, bulk-load *files*, and stop it."""
    binary = ensure_virtuoso(timeout)
    isql = shutil.which("isql-vt") or shutil.which("isql")
    if isql is None:
        raise ServerError("virtuoso is installed but its isql client (isql-vt) is not")
    directory = workdir / "virtuoso"
    data = workdir / "virtuoso-data"
    shutil.rmtree(directory, ignore_errors=True)
    shutil.rmtree(data, ignore_errors=True)
    directory.mkdir()
    data.mkdir()
    for path in files:  # ld_dir loads whole directories by extension, and only from DirsAllowed
        target = data / (path.stem + (".nt" if path.suffix == ".nt" else ".ttl"))
        try:
            os.link(path, target)
        except OSError:
            shutil.copyfile(path, target)
    isql_port, http_port = free_port(), free_port()
    ini = directory / "virtuoso.ini"
    ini.write_text(virtuoso_ini(directory, isql_port, http_port, dirs_allowed=(data,)), encoding="utf-8")
    url = f"http://127.0.0.1:{http_port}"
    log = directory / "stdout.log"
    server = Server("virtuoso", url, "/sparql", 0.0, "")
    server.launch = lambda: _started(
        [binary, "+foreground", "+configfile", str(ini)], log, f"{url}/sparql?query=ASK%7B%7D", timeout, directory
    )
    try:
        server.restart()
        version = _isql(isql, isql_port, "SELECT sys_stat('st_dbms_ver');", 60)
        release = re.search(r"\d+\.\d+\.\d+", version)
        server.version = release.group(0) if release else ""
        started = time.perf_counter()
        _isql(isql, isql_port, f"ld_dir('{data}', '*.nt', 'urn:bench:data');", 60)
        _isql(isql, isql_port, f"ld_dir('{data}', '*.ttl', 'urn:bench:data');", 60)
        _isql(isql, isql_port, "rdf_loader_run();", timeout)
        _isql(isql, isql_port, "checkpoint;", timeout)
        server.load_s = time.perf_counter() - started
        failed = "SELECT ll_file, ll_error FROM DB.DBA.LOAD_LIST WHERE ll_error IS NOT NULL;"
        errors = _isql(isql, isql_port, failed, 60)
        if "urn:" in errors or ".ttl" in errors or ".nt" in errors:
            raise ServerError(f"virtuoso's bulk loader reported errors: {errors.strip()[-500:]}")
        yield server
    finally:
        server.stop()
        shutil.rmtree(directory, ignore_errors=True)
        shutil.rmtree(data, ignore_errors=True)
