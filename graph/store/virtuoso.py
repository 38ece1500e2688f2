"""Run Debian's Virtuoso (``virtuoso-opensource``) on loopback, prepared as a remote store for the API.

One definition of what Virtuoso needs for remote mode (docs/remote-store.md): a ``virtuoso.ini`` with
the database in a directory of its own, and the anonymous ``SPARQL`` user allowed to update
(:func:`prepare`).  The union default graph needs nothing: a Virtuoso query without ``FROM`` already
reads every graph.  The API tests and the benchmarks both start their Virtuoso with :func:`local_virtuoso`.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

__all__ = ["PREPARE", "Virtuoso", "VirtuosoError", "binaries", "local_virtuoso", "prepare", "virtuoso_ini"]

# What the API's SPARQL user may do: run SPARQL Update over the /sparql endpoint.
PREPARE = ('GRANT SPARQL_UPDATE TO "SPARQL";',)


class VirtuosoError(RuntimeError):
    """Virtuoso is missing, did not start, or refused a set-up statement; the message says which."""


@dataclass
class Virtuoso:
    """A running Virtuoso: its SPARQL endpoint, its isql port, and how to run isql statements on it."""

    sparql_url: str
    isql_port: int
    directory: Path
    isql_binary: str
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    version: str = ""

    @property
    def store_spec(self) -> str:
        """The API's ``--store`` value for this server: queries and updates both go to ``/sparql``."""
        return f"sparql:{self.sparql_url},{self.sparql_url}"

    def isql(self, statement: str, timeout: float = 120) -> str:
        """Run one SQL statement as ``dba`` and return isql's output."""
        return isql(self.isql_binary, self.isql_port, statement, timeout)


def binaries() -> tuple[str, str] | None:
    """Return the paths of ``virtuoso-t`` and its isql client, or None if either is not installed."""
    server = shutil.which("virtuoso-t")
    client = shutil.which("isql-vt") or shutil.which("isql")
    return (server, client) if server and client else None


def virtuoso_ini(
    directory: Path, isql_port: int, http_port: int, *, dirs_allowed: tuple[Path, ...] = (), buffers: int = 340000
) -> str:
    """Return a ``virtuoso.ini`` keeping everything in *directory*, listening on loopback only.

    *buffers* of 8 KiB pages: Virtuoso's sizing table gives 340,000 for about 4 GB of memory.
    """
    allowed = ", ".join([".", str(directory), *map(str, dirs_allowed)])
    return f"""[Database]
DatabaseFile = {directory}/virtuoso.db
ErrorLogFile = {directory}/virtuoso.log
LockFile = {directory}/virtuoso.lck
TransactionFile = {directory}/virtuoso.trx
xa_persistent_file = {directory}/virtuoso.pxa
ErrorLogLevel = 7
FileExtend = 200
MaxCheckpointRemap = 2000
Striping = 0
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {directory}/virtuoso-temp.db
TransactionFile = {directory}/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping = 0

[Parameters]
ServerPort = 127.0.0.1:{isql_port}
DisableUnixSocket = 1
ServerThreads = 32
CheckpointInterval = 60
NumberOfBuffers = {buffers}
MaxDirtyBuffers = {buffers * 3 // 4}
DirsAllowed = {allowed}
VADInstallDir = /usr/share/virtuoso-opensource-7/vad/

[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = /var/lib/virtuoso-opensource-7/vsp
ServerThreads = 32
MaxClientConnections = 32
MaxKeepAlives = 32
KeepAliveTimeout = 10

[SPARQL]
ResultSetMaxRows = 1000000
MaxQueryExecutionTime = 120
MaxQueryCostEstimationTime = 0
DefaultQuery = ASK {{}}
"""


def isql(binary: str, port: int, statement: str, timeout: float = 120) -> str:
    """Run *statement* with Virtuoso's isql client as ``dba`` and return its output."""
    try:
        done = subprocess.run(
            [binary, f"127.0.0.1:{port}", "dba", "dba", f"exec={statement}"],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as error:
        raise VirtuosoError(f"isql timed out after {timeout:.0f} s on: {statement[:200]}") from error
    output = done.stdout + done.stderr
    if done.returncode != 0 or "*** Error" in output:
        raise VirtuosoError(f"isql failed on {statement[:200]!r}: {output.strip()[-500:]}")
    return done.stdout


def prepare(server: Virtuoso) -> None:
    """Allow the SPARQL endpoint's user to update, as remote mode needs (docs/remote-store.md)."""
    for statement in PREPARE:
        server.isql(statement)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _stop(process: subprocess.Popen[bytes], grace: float = 30) -> None:
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=grace)
    except ProcessLookupError:
        return
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=grace)


def _wait(url: str, process: subprocess.Popen[bytes], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            if httpx.get(url, params={"query": "ASK {}"}, timeout=5, trust_env=False).status_code < 500:
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    return False


@contextmanager
def local_virtuoso(
    directory: Path, *, dirs_allowed: tuple[Path, ...] = (), buffers: int = 340000, timeout: float = 120
) -> Iterator[Virtuoso]:
    """Start Virtuoso on free loopback ports with its database in *directory*, prepared, and stop it after.

    *directory* must be empty or missing; it is left in place (the caller owns it).

    Raises:
        VirtuosoError: if Virtuoso is not installed or does not answer within *timeout* seconds.
    """
    found = binaries()
    if found is None:
        raise VirtuosoError("Virtuoso is not installed (Debian package virtuoso-opensource: virtuoso-t and isql-vt)")
    binary, client = found
    directory.mkdir(parents=True, exist_ok=True)
    isql_port, http_port = _free_port(), _free_port()
    ini = directory / "virtuoso.ini"
    ini.write_text(virtuoso_ini(directory, isql_port, http_port, dirs_allowed=dirs_allowed, buffers=buffers))
    server = Virtuoso(f"http://127.0.0.1:{http_port}/sparql", isql_port, directory, client)
    with (directory / "stdout.log").open("ab") as log:
        server.process = subprocess.Popen(
            [binary, "+foreground", "+configfile", str(ini)],
            cwd=directory,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        if not _wait(server.sparql_url, server.process, timeout):
            tail = (directory / "stdout.log").read_text(errors="replace")[-500:]
            raise VirtuosoError(f"virtuoso-t did not answer within {timeout:.0f} s: {tail}")
        release = re.search(r"\d+\.\d+\.\d+", server.isql("SELECT sys_stat('st_dbms_ver');"))
        server.version = release.group(0) if release else ""
        prepare(server)
        yield server
    finally:
        _stop(server.process)
