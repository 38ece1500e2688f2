"""The W3C SHACL test suite (w3c/data-shapes, 121 validation tests) through ``retningsgraf shacl``.

Each test is run as a user would run it, ``retningsgraf shacl --data ... --shapes ...``, and the
Turtle report it prints must equal the expected report by the suite's definition
(:func:`tests.w3c.sht.matches`), or the command must refuse with exit 2 and say "unsupported".
Zero silently wrong reports, zero crashes.
"""

from __future__ import annotations

import logging

import pytest

from api.cli import main
from tests.w3c import sht

CASES = list(sht.cases())
# The one test no engine here answers: $shapesGraph needs the shapes graph as a named graph of
# the data, which neither the fast engine nor pySHACL 0.40 provides. Refused, never answered.
REFUSED = {"sparql/pre-binding/shapesGraph-001"}


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_w3c_shacl_test_is_answered_exactly_or_refused_by_the_shacl_command(
    case: sht.Case, capsys: pytest.CaptureFixture[str]
) -> None:
    logging.getLogger("sht").disabled = True
    code = main(["shacl", "--data", str(case.data), "--shapes", str(case.shapes), "--format", "turtle"])
    out, err = capsys.readouterr()
    if code == 2:
        assert "unsupported" in err, err
        assert sht.expects_failure(case) or case.name in REFUSED
        return
    assert not sht.expects_failure(case), "the suite expects a refusal"
    assert code == (1 if "sh:Violation" in out else 0)
    assert sht.matches(sht.parse_report(out), case)


def test_the_suite_is_whole_and_the_fast_engine_answers_at_least_fifty_tests() -> None:
    table = sht.table()
    total = {
        k: sum(row.get(k, 0) for row in table.values()) for k in ("fast", "pyshacl", "failure", "refused", "wrong")
    }
    assert sum(total.values()) == len(CASES) == 121
    assert total["wrong"] == 0
    assert total["refused"] == len(REFUSED)
    assert total["fast"] >= 50


def test_the_fast_engine_alone_refuses_what_it_does_not_implement_and_is_never_wrong() -> None:
    verdicts = {case.name: sht.outcome(case, "fast") for case in CASES}
    assert "wrong" not in verdicts.values()
    assert "pyshacl" not in verdicts.values()
