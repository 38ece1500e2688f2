"""Schemathesis against the OpenAPI schema of a real uvicorn: every operation, writes with a token.

Each operation gets a bounded, deterministic run (``derandomize``) of valid and invalid
requests, sent with an admin token so the write endpoints get past authentication.  Every
response must be no server error, carry a status code, content type and body the schema
declares, and the run records how many cases each operation got; the terminal summary
prints them after the hostile-input summary.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.main import create_app
from tests.api.conftest import start_server, stop

pytestmark = pytest.mark.slow

ADMIN = "s" * 24
AUTH = {"Authorization": f"Bearer {ADMIN}"}
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
# Valid and invalid requests per operation: enough to reach each declared status, few enough
# that the whole run stays near a minute on two shared cores.
EXAMPLES = 25
# Operations whose every call costs seconds (a whole-graph SHACL run or an overlap network):
# fewer cases, since their inputs are a handful of enumerations.
SLOW = {"GET /validation": 5, "GET /exports/overlaps.graphml": 8, "GET /exports/graph.{fmt}": 8}


def _operations() -> list[str]:
    spec = create_app().openapi()  # the schema only: no store is opened
    return [f"{method.upper()} {path}" for path, item in spec["paths"].items() for method in item]


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Any]]:
    """A real server on its own persistent store with an admin token, and its schema as served."""
    store = tmp_path_factory.mktemp("schemathesis") / "db"
    process, url = start_server(
        "--store",
        f"oxigraph:{store}",
        "--sparql-timeout",
        "2",
        "--sparql-max-rows",
        "1000",
        env={"RETNINGSGRAF_TOKENS": f"fuzz:admin:{ADMIN}"},
    )
    try:
        yield url, schemathesis.openapi.from_url(f"{url}/openapi.json")
    finally:
        stop(process)


@pytest.mark.parametrize("label", _operations())
def test_operation_gives_no_server_error_and_answers_as_its_schema_says(
    label: str, api: tuple[str, Any], request: pytest.FixtureRequest
) -> None:
    url, schema = api
    operation = schema[label.split(" ", 1)[1]][label.split(" ", 1)[0]]
    modes = [operation.as_strategy(GenerationMode.POSITIVE)]
    with contextlib.suppress(Exception):  # an operation without parameters has no invalid input
        modes.append(operation.as_strategy(GenerationMode.NEGATIVE))
    failures: list[str] = []
    statuses: dict[int, int] = {}

    @given(case=st.one_of(modes))
    @hypothesis.settings(
        max_examples=SLOW.get(label, EXAMPLES),
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        try:
            response = case.call_and_validate(base_url=url, headers=AUTH, checks=CHECKS, timeout=60)
        except (Exception, BaseExceptionGroup) as error:  # collect every failure: one run shows them all
            failures.append(f"{type(error).__name__}: {str(error)[:1500]}")
        else:
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

    run()
    cases = sum(statuses.values()) + len(failures)
    request.node.user_properties.append(("schemathesis", (label, cases, len(failures), dict(sorted(statuses.items())))))
    assert cases > 0
    assert not failures, f"{len(failures)} of {cases} cases failed:\n" + "\n\n".join(dict.fromkeys(failures))
