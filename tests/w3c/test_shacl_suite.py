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

pytestmark = pytest.mark.slow  # the whole W3C SHACL suite

CASES = list(sht.cases())


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_w3c_shacl_test_is_answered_exactly_or_refused_by_the_shacl_command(
    case: sht.Case, capsys: pytest.CaptureFixture[str]
) -> None:
    logging.getLogger("sht").disabled = True
    code = main(["shacl", "--data", str(case.data), "--shapes", str(case.shapes), "--format", "turtle"])
    out, err = capsys.readouterr()
    if code == 2:
        assert "unsupported" in err, err
        assert sht.expects_failure(case), "refused, though the suite expects a report"
        return
    assert not sht.expects_failure(case), "the suite expects a refusal"
    assert code == (1 if "sh:Violation" in out else 0)
    assert sht.matches(sht.parse_report(out), case)


def test_the_suite_is_whole_and_the_fast_engine_answers_at_least_ninety_nine_tests() -> None:
    table = sht.table()
    total = {k: sum(row.get(k, 0) for row in table.values()) for k in ("fast", "turbo", "failure", "refused", "wrong")}
    assert sum(total.values()) == len(CASES) == 121
    assert total["wrong"] == total["refused"] == 0
    assert total["failure"] == sum(sht.expects_failure(case) for case in CASES) == 7
    assert total["fast"] >= 99


def test_the_fast_engine_alone_refuses_what_it_does_not_implement_and_is_never_wrong() -> None:
    verdicts = {case.name: sht.outcome(case, "fast") for case in CASES}
    assert "wrong" not in verdicts.values()
    assert "turbo" not in verdicts.values()
