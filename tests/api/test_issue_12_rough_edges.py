"""Issue 12, part 1 ("Nothing lost, nothing silently wrong"): the draft check and name lookups of CLI and API.

A misspelt draft field is refused alike by ``check-draft`` and ``POST /overlaps/check``; owners,
populations and topics match by case, number and alternative label, and an unknown one is answered
with the closest names; a broken draft file is one line and exit 2, never a traceback.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "api.cli", *args], capture_output=True, text=True, timeout=300, check=False
    )


def check(client: httpx.Client, **draft: object) -> httpx.Response:
    return client.post("/overlaps/check", json={"title": "Behandling af spiseforstyrrelser", **draft})


def ids(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [c["document"]["id"] for c in response.json()["candidates"]]


def test_a_misspelt_draft_field_is_refused_with_the_same_message_by_cli_and_api(
    client: TestClient, tmp_path: Path
) -> None:
    answer = check(client, disease_area=["F50"])
    assert answer.status_code == 422
    message = answer.json()["detail"][0]["msg"]
    assert "'disease_area'" in message and "mente du disease_areas?" in message
    assert "title, kind, owner, disease_areas, populations, topics" in message
    path = tmp_path / "draft.json"
    path.write_text(json.dumps({"title": "Behandling af spiseforstyrrelser", "disease_area": ["F50"]}))
    done = cli("check-draft", str(path))
    assert done.returncode == 2
    assert done.stderr == f"retningsgraf: {path}: {message}\n"


def test_an_owner_written_as_the_seed_writes_it_matches_the_registry_owner(client: TestClient, tmp_path: Path) -> None:
    by_id = ids(check(client, owner="dmpg-spis", disease_areas=["F50"]))
    assert ids(check(client, owner="DMPG Spiseforstyrrelser", disease_areas=["F50"])) == by_id
    assert ids(check(client, owner="dmpg spiseforstyrrelse", disease_areas=["F50"])) == by_id
    listed = client.get("/documents", params={"owner": "DMPG Spiseforstyrrelser"})
    assert listed.status_code == 200 and listed.json()["total"] > 0
    path = tmp_path / "draft.yaml"
    path.write_text("title: Behandling af spiseforstyrrelser\nowner: DMPG Spiseforstyrrelser\ndisease_areas: [F50]\n")
    done = cli("check-draft", "--format", "json", "--limit", "10", str(path))
    assert done.returncode == 0, done.stderr
    assert [row["id"] for row in json.loads(done.stdout)] == by_id


def test_an_unknown_owner_is_answered_with_the_closest_organisation(client: TestClient) -> None:
    answer = check(client, owner="DMPG Spisforstyrelse")
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["msg"] == "unknown organisation: 'DMPG Spisforstyrelse' - mente du dmpg-spis?"
    done = cli("overlaps", "--owner", "DMPG Spisforstyrelse")
    assert done.returncode == 2 and "mente du dmpg-spis?" in done.stderr


def test_topics_and_populations_match_plurals_and_alternative_labels(client: TestClient) -> None:
    treatment = ids(check(client, topics=["treatment"], populations=["adults"]))
    assert ids(check(client, topics=["behandlinger"], populations=["Voksne"])) == treatment
    assert ids(check(client, topics=["Treatments"], populations=["adult"])) == treatment
    assessment = ids(check(client, topics=["assessment"]))
    assert ids(check(client, topics=["diagnostik"])) == assessment, "an alternative label of the topic"


def test_an_unknown_topic_or_population_lists_the_allowed_values(client: TestClient) -> None:
    topic = check(client, topics=["treatmnt"])
    assert topic.status_code == 422
    message = topic.json()["detail"][0]["msg"]
    assert message.startswith("unknown topic: 'treatmnt' - mente du treatment?")
    assert "assessment" in message and "rehabilitation" in message
    population = client.get("/documents", params={"population": "kids"})
    assert population.status_code == 422
    assert "use one of adults, all, children, elderly" in population.text


@pytest.mark.slow  # the command in subprocesses
def test_a_draft_file_that_is_missing_or_malformed_is_one_line_and_exit_2(tmp_path: Path) -> None:
    broken_yaml = tmp_path / "draft.yaml"
    broken_yaml.write_text("title: Behandling\ntopics: [treatment\n")
    broken_json = tmp_path / "draft.json"
    broken_json.write_text('{"title": "Behandling",\n "topics": ["treatment"],\n}\n')
    not_a_draft = tmp_path / "list.yaml"
    not_a_draft.write_text("- title: Behandling\n")
    cases = {
        tmp_path / "missing.yaml": "file: no such file",
        broken_yaml: "line 3, column 1: YAML syntax error",
        broken_json: "line 3, column 1: JSON syntax error",
        not_a_draft: "a draft is a mapping with at least a title",
    }
    for path, reason in cases.items():
        done = cli("check-draft", str(path))
        assert done.returncode == 2, path
        assert done.stderr.startswith(f"retningsgraf: {path}:") and reason in done.stderr, done.stderr
        assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
