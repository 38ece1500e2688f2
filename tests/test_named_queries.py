"""Issue 13: every fixed SPARQL query is a named ``.rq`` file, bound by variables, never text in the code.

The SHACL engine is the one exception: it compiles each shape into queries, so their text is made
from the shapes, not written by hand.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
QUERY_TEXT = re.compile(
    r"^\s*(#[^\n]*\n\s*)*(PREFIX\s+\w*:|SELECT\s|ASK\s*\{|CONSTRUCT\s*\{|DESCRIBE\s)", re.IGNORECASE
)
# Modules that make SPARQL from other data, with why.
COMPILERS = {
    "graph/validation/engine.py": "compiles SHACL shapes into queries",
    "graph/validation/gaps.py": "writes the PREFIX lines a shape declares (sh:prefixes)",
    "api/routers/sparql.py": "an example query in the endpoint's OpenAPI documentation, not run",
    "graph/store/virtuoso.py": "ASK {} as the readiness probe of a starting Virtuoso",
}
# Fixed queries still written in code, per module: none (a new one fails the test below).
NOT_YET_NAMED: dict[str, int] = {}


def _query_texts(path: Path) -> list[int]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and "{" in node.value:
            if QUERY_TEXT.match(node.value) and ast.get_docstring(tree) != node.value:
                found.append(node.lineno)
        if isinstance(node, ast.JoinedStr):
            head = "".join(v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str))
            if QUERY_TEXT.match(head):
                found.append(node.lineno)
    return found


def test_no_module_holds_sparql_query_text_but_the_shape_compiler() -> None:
    offenders = {}
    for folder in ("graph", "loaders", "api"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            name = path.relative_to(ROOT).as_posix()
            if name in COMPILERS:
                continue
            lines = sorted(set(_query_texts(path)))
            if len(lines) != NOT_YET_NAMED.get(name, 0):
                offenders[name] = lines
    assert offenders == {}


def test_the_check_sees_a_query_written_in_code(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text('Q = """\nPREFIX gd: <x#>\nSELECT ?s WHERE { ?s ?p ?o }\n"""\nF = f"SELECT ?s WHERE {{ {1} }}"\n')
    assert sorted(set(_query_texts(module))) == [1, 5]
