"""The load generator the API figure uses: Debian's ``wrk`` (C), driven by a generated Lua script.

The Python load generator (``loadgen.py``) tops out near 80 requests a second on this 2-core
machine, so with 32 clients every server looked alike: the figure measured the client.  ``wrk``
sends several thousand a second from one thread, so the servers are what is measured.  The
script cycles through the scenario's requests (paths, headers, form or JSON bodies) and prints
the figures as JSON when the run is done.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from benchmarks.loadgen import LOOPBACK

__all__ = ["available", "ensure_wrk", "run"]

_DONE = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '\\nRESULT {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, "min_us": %d, "max_us": %d, '
    .. '"mean_us": %.1f, "connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.min, latency.max,
    latency.mean, e.connect, e.read, e.write, e.status, e.timeout))
end
"""


def available() -> bool:
    """True if ``wrk`` is on PATH."""
    return shutil.which("wrk") is not None


def ensure_wrk(timeout: float) -> bool:
    """Install Debian's ``wrk`` with apt-get if it is missing (as root); return whether it is there."""
    if available():
        return True
    env = {"DEBIAN_FRONTEND": "noninteractive", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}
    for command in (["apt-get", "update"], ["apt-get", "install", "-y", "--no-install-recommends", "wrk"]):
        try:
            subprocess.run(command, env=env, capture_output=True, timeout=timeout, check=True)
        except (OSError, subprocess.SubprocessError):
            return False
    return available()


def _lua_string(text: str) -> str:
    level = 0
    while f"]{'=' * level}]" in text:
        level += 1
    return f"[{'=' * level}[{text}]{'=' * level}]"


def _request(request: dict[str, Any]) -> str:
    path = request["path"] + (("?" + urlencode(request["params"])) if request.get("params") else "")
    headers = dict(request.get("headers") or {})
    body = None
    if request.get("json") is not None:
        body = json.dumps(request["json"], ensure_ascii=False)
        headers.setdefault("Content-Type", "application/json")
    elif request.get("data") is not None:
        body = urlencode(request["data"])
        headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
    fields = ", ".join(f"[ {_lua_string(k)} ] = {_lua_string(v)}" for k, v in headers.items())
    return (
        f"{{method = {_lua_string(request['method'])}, path = {_lua_string(path)}, "
        f"headers = {{{fields}}}, body = {_lua_string(body) if body is not None else 'nil'}}}"
    )


def script(requests: list[dict[str, Any]]) -> str:
    """Return the Lua script that cycles through *requests* and reports the figures as JSON."""
    table = ",\n  ".join(_request(r) for r in requests)
    return (
        f"local requests = {{\n  {table}\n}}\nlocal i = 0\n"
        "request = function()\n  i = i % #requests + 1\n  local r = requests[i]\n"
        "  return wrk.format(r.method, r.path, r.headers, r.body)\nend\n" + _DONE
    )


def run(spec: dict[str, Any]) -> dict[str, Any]:
    """Drive *spec*'s requests (as for ``loadgen.run``) with ``wrk`` and return the same figures."""
    if urlsplit(spec["base_url"]).hostname not in LOOPBACK:
        raise ValueError("the load generator only targets loopback addresses")
    with tempfile.TemporaryDirectory() as tmp:
        lua = Path(tmp) / "scenario.lua"
        lua.write_text(script(spec["requests"]), encoding="utf-8")
        command = [
            "wrk",
            "-t1",
            f"-c{spec['clients']}",
            f"-d{int(spec['duration'])}s",
            f"--timeout={int(spec.get('request_timeout', 30))}s",
            "-s",
            str(lua),
            spec["base_url"],
        ]
        done = subprocess.run(command, capture_output=True, text=True, timeout=spec["duration"] + 120, check=True)
    found = re.search(r"^RESULT (\{.*\})$", done.stdout, re.MULTILINE)
    if found is None:
        raise RuntimeError(f"wrk printed no result: {done.stdout[-500:]} {done.stderr[-500:]}")
    raw = json.loads(found.group(1))
    errors = {key: raw[key] for key in ("connect", "read", "write", "status", "timeout") if raw[key]}
    answered = raw["requests"] - raw["status"]
    elapsed = raw["duration_us"] / 1e6
    return {
        "latency": {
            "runs": raw["requests"],
            "p50": raw["p50_us"] / 1e6,
            "p99": raw["p99_us"] / 1e6,
            "min": raw["min_us"] / 1e6,
            "mean": raw["mean_us"] / 1e6,
        },
        "requests": answered,
        "throughput_rps": answered / elapsed if elapsed else 0.0,
        "errors": errors,
        "elapsed_s": elapsed,
        "clients": spec["clients"],
        "generator": "wrk",
    }
