"""The coordinator's five questions (issue 16), answered with the service and timed against a real server.

Starts ``retningsgraf serve`` on a throwaway copy of the shipped registry (an Oxigraph store in a temporary
directory, so the plan registered in question 5 never touches the registry), waits until the start-up work
is done, then asks each question the way a coordinator's browser or ``curl`` would, over HTTP.  Each question
is timed twice: the first ask, and the median of five repeats.  Prints a Markdown table and writes
``benchmarks/results/five-questions-<UTC stamp>.json``; with ``--screenshots DIR`` it then photographs the
new pages with headless Chromium (the system's, through Playwright) on the same server.

    .venv/bin/python -m benchmarks.five_questions --screenshots docs/screenshots
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import feedparser
import httpx

__all__ = ["main"]

RESULTS = Path(__file__).resolve().parent / "results"
TOKEN = "five-questions-" + "k" * 16
REPEATS = 5
# A made-up plan for question 5: it goes into the throwaway store only (example.org is no real announcement).
PLAN = {
    "id": "demo-plan-depression-voksne",
    "title": "Behandling af depression hos voksne",
    "owners": ["dmpg-dep"],
    "disease_areas": ["F32", "F33"],
    "populations": ["adults"],
    "topics": ["treatment"],
    "expected_consultation": "2027-03",
    "expected_publication": "2027-09",
    "sources": ["https://example.org/demo-plan"],
}
DRAFT = {k: PLAN[k] for k in ("title", "disease_areas", "populations", "topics")} | {"owner": "dmpg-dep"}
SHOTS = {
    "organisations.png": "/planning/organisations",
    "organisation-sst.png": "/planning/organisations/sst",
    "changes-overlap-sst.png": "/planning/changes?overlapping=sst",
    "planned-form.png": "/planning/planned#register-h",
    "document-history.png": f"/documents/{PLAN['id']}#history",
}


def _serve(port: int, store: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "RETNINGSGRAF_TOKENS": f"koordinator:edit:{TOKEN}"}
    command = [sys.executable, "-m", "api.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
    command += ["--store", f"oxigraph:{store}", "--rate-limit", "0"]
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _wait(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("the server exited")
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.2)
    # The start-up thread computes gaps, pairs and the SHACL report: wait for it as a coordinator arriving later would.
    for path in ("/planning", "/planning/overlaps", "/documents/nkr-bipolar"):
        httpx.get(url + path, headers={"Accept": "text/html"}, timeout=300).raise_for_status()


def _timed(ask: Callable[[], Any], repeat: bool = True) -> tuple[Any, float, float | None]:
    started = time.perf_counter()
    answer = ask()
    first = time.perf_counter() - started
    if not repeat:
        return answer, first, None
    times = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        ask()
        times.append(time.perf_counter() - started)
    return answer, first, statistics.median(times)


def _changed(client: httpx.Client) -> dict[str, Any]:
    body = client.get("/changes", params={"limit": 20}).raise_for_status().json()
    return {
        "requests": ["GET /changes?limit=20"],
        "total": body["total"],
        "last_verified": body["last_verified"],
        "newest": [f"{c['time'][:16]} {c['title']} ({c['event']})" for c in body["items"][:3]],
    }


def _where(client: httpx.Client) -> dict[str, Any]:
    body = client.get("/documents", params={"q": "bipolar behandling", "limit": 5}).raise_for_status().json()
    return {
        "requests": ["GET /documents?q=bipolar+behandling&limit=5"],
        "total": body["total"],
        "first": [f"{d['title']} ({', '.join(o['name'] for o in d['owners'])})" for d in body["items"][:3]],
    }


def _planned(client: httpx.Client) -> dict[str, Any]:
    page = client.get("/planning/planned", headers={"Accept": "text/html"}).raise_for_status().text
    table = page[page.index('<table class="docs">') : page.index("</table>", page.index('<table class="docs">'))]
    rows = []
    for row in re.findall(r"<tr>(.*?)</tr>", table[table.index("<tbody>") :], re.S):
        cells = [re.sub(r"<[^>]+>|\s+", " ", c).strip() for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
        if len(cells) >= 4:
            rows.append(cells[:4])
    return {
        "requests": ["GET /planning/planned"],
        "total": len(rows),
        "first": [" · ".join(r) for r in rows[:3]],
    }


def _review(client: httpx.Client) -> dict[str, Any]:
    text = client.get("/exports/gaps.csv").raise_for_status().content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    due = [r for r in rows if r["år over revisionshorisonten"]]
    # The order a coordinator works in: the only guidance in force for its areas first, then the most overdue.
    due.sort(
        key=lambda r: (r["eneste gældende vejledning for sine områder"] != "ja", -int(r["år over revisionshorisonten"]))
    )
    return {
        "requests": ["GET /exports/gaps.csv (or /gaps?rule=reviewHorizon)"],
        "total": len(due),
        "first": [
            f"{r['dokumenter']} ({r['dokumenternes ejere']}): {r['år over revisionshorisonten']} år over, "
            f"eneste gældende: {r['eneste gældende vejledning for sine områder'] or '–'}"
            for r in due[:3]
        ],
    }


def _draft(client: httpx.Client) -> dict[str, Any]:
    body = client.post("/overlaps/check", json=DRAFT).raise_for_status().json()
    return {
        "requests": ["POST /overlaps/check"],
        "candidates": len(body["candidates"]),
        "first": [
            f"{c['document']['title']} ({c['relation']}, {c['score']:.2f})".replace(".", ",")
            for c in body["candidates"][:3]
        ],
    }


def _register(client: httpx.Client) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    body = client.post("/plans", json=PLAN, headers=headers).raise_for_status().json()
    feed = feedparser.parse(
        client.get("/changes/feed.atom", params={"overlapping": "sst", "event": "overlap"}).raise_for_status().content
    )
    return {
        "requests": ["POST /plans", "GET /changes/feed.atom?overlapping=sst&event=overlap"],
        "told": [o["name"] for o in body["told"]],
        "feed_is_atom": feed.version == "atom10" and not feed.bozo,
        "sst_feed_entry": next((e.title for e in feed.entries if PLAN["title"] in e.title), None),
    }


QUESTIONS: list[tuple[str, str, Callable[[httpx.Client], dict[str, Any]], bool]] = [
    ("changed", "Hvad er ændret for nylig?", _changed, True),
    ("where", "Hvor er et dokument?", _where, True),
    ("planned", "Hvad er planlagt, af hvem, hvornår?", _planned, True),
    ("review", "Hvilke dokumenter skal revideres, i hvilken rækkefølge?", _review, True),
    ("draft", "Overlapper vores udkast andres arbejde?", _draft, True),
    ("register", "Registrér planen: hvem får besked?", _register, False),  # a write: asked once
]


def _screenshots(url: str, folder: Path) -> list[str]:
    from playwright.sync_api import sync_playwright

    chromium = os.environ.get("RETNINGSGRAF_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    folder.mkdir(parents=True, exist_ok=True)
    taken = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--headless", "--no-sandbox"])
        page = browser.new_page(viewport={"width": 1300, "height": 1100}, locale="da-DK")
        for name, path in SHOTS.items():
            page.goto(url + path)
            page.screenshot(path=str(folder / name))
            taken.append(name)
        # The form's answer: a second made-up plan, registered through the page as a coordinator would.
        page.goto(url + "/planning/planned")
        page.fill("#p-title", "Psykoterapi ved depression hos ældre")
        page.select_option("#p-owner", "dmpg-dep")
        page.fill("#p-areas", "F32, F33")
        page.check("#plan-form input[name=population][value=elderly]")
        page.check("#plan-form input[name=topic][value=treatment]")
        page.fill("#p-consultation", "2027-05")
        page.fill("#p-source", "https://example.org/demo-plan-2")
        page.fill("#p-token", TOKEN)
        page.click("#plan-form button[type=submit]")
        page.locator("#registered").scroll_into_view_if_needed()
        page.screenshot(path=str(folder / "planned-registered.png"))
        taken.append("planned-registered.png")
        browser.close()
    return taken


def main() -> None:
    """Answer and time the five questions; print a Markdown table; optionally take the screenshots."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8510)
    parser.add_argument("--screenshots", type=Path, help="folder for PNG screenshots of the new pages")
    args = parser.parse_args()
    url = f"http://127.0.0.1:{args.port}"
    with tempfile.TemporaryDirectory() as folder:
        process = _serve(args.port, Path(folder) / "db")
        try:
            started = time.perf_counter()
            _wait(url, process)
            ready = time.perf_counter() - started
            results = []
            with httpx.Client(base_url=url, timeout=120) as client:
                for key, question, ask, repeat in QUESTIONS:
                    answer, first, warm = _timed(lambda ask=ask: ask(client), repeat)
                    results.append({"key": key, "question": question, "first_s": first, "median_s": warm, **answer})
            shots = _screenshots(url, args.screenshots) if args.screenshots else []
        finally:
            process.terminate()
            process.wait(timeout=20)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    record = {"when": dt.datetime.now(dt.UTC).isoformat(), "commit": commit, "cores": os.cpu_count(),
              "server_ready_s": ready, "results": results, "screenshots": shots}  # fmt: skip
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"five-questions-{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%SZ}.json"
    out.write_text(json.dumps(record, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"server ready (start-up work done) after {ready:.1f} s; commit {commit}\n")
    print("| question | requests | first ask | median of 5 | answer |")
    print("|---|---|---|---|---|")
    for r in results:
        shown = {k: v for k, v in r.items() if k not in ("key", "question", "first_s", "median_s", "requests")}
        median = f"{r['median_s'] * 1000:.0f} ms" if r["median_s"] is not None else "(a write: once)"
        print(f"| {r['question']} | {'; '.join(r['requests'])} | {r['first_s'] * 1000:.0f} ms | {median} | {shown} |")
    print(f"\nwritten to {out}")


if __name__ == "__main__":
    main()
