"""Check the evaluation set against the registry: ids exist, labels valid, no repeated pairs, owners exist.

Run: .venv/bin/python tests/data/evaluation/validate_evaluation.py
"""

import collections
import glob
import pathlib
import re
import sys

import yaml

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[2]
LABELS = {"duplicate", "overlap", "complementary", "supersedes", "unrelated"}
KINDS = {
    "DMPGGuideline",
    "NationalClinicalGuideline",
    "NationalClinicalRecommendation",
    "CourseDescription",
    "PackagePathway",
    "ChooseWiselyRecommendation",
    "Guidance",
    "RegionalGuideline",
    "Other",
}
POPS = {"children", "adults", "elderly", "all"}
TOPICS = {
    "assessment",
    "treatment",
    "pharmacological",
    "non-pharmacological",
    "organisation",
    "monitoring",
    "prevention",
    "rehabilitation",
    "cross-sector",
}
ICD = re.compile(r"^D?F\d{2}(\.\d{1,2})?(-D?F\d{2}(\.\d{1,2})?)?$")

docs, orgs = {}, set()
for f in sorted(glob.glob(str(ROOT / "loaders/registry/*.yaml"))):
    d = yaml.safe_load(pathlib.Path(f).read_text(encoding="utf-8"))
    orgs |= {o["id"] for o in d.get("organisations") or []}
    docs.update({x["id"]: x for x in d.get("documents") or []})

errors = []
pairs = yaml.safe_load((HERE / "pairs.yaml").read_text(encoding="utf-8"))["pairs"]
seen = set()
for i, p in enumerate(pairs):
    for k in ("a", "b", "label", "why"):
        if not p.get(k):
            errors.append(f"pair {i}: missing {k}")
    for k in ("a", "b"):
        if p.get(k) not in docs:
            errors.append(f"pair {i}: unknown id {p.get(k)!r}")
    if p.get("a") == p.get("b"):
        errors.append(f"pair {i}: a == b")
    if p.get("label") not in LABELS:
        errors.append(f"pair {i}: bad label {p.get('label')!r}")
    key = frozenset((p.get("a"), p.get("b")))
    if key in seen:
        errors.append(f"pair {i}: repeated pair {sorted(key)}")
    seen.add(key)
    if p.get("label") == "supersedes" and p.get("b") in docs:
        if docs[p["b"]]["status"] not in ("not-valid", "superseded") and not any(
            link.get("type") == "replaces" and link.get("target") == p["b"] for link in docs[p["a"]].get("links") or []
        ):
            errors.append(f"pair {i}: supersedes but b is valid and no replaces link")

drafts = yaml.safe_load((HERE / "drafts.yaml").read_text(encoding="utf-8"))["drafts"]
names = collections.Counter(d.get("name") for d in drafts)
errors += [f"draft name repeated: {n}" for n, c in names.items() if c > 1]
for d in drafts:
    n, dr = d.get("name"), d.get("draft") or {}
    if not dr.get("title"):
        errors.append(f"draft {n}: no title")
    if "owner" in dr and dr["owner"] not in orgs:
        errors.append(f"draft {n}: unknown owner {dr['owner']!r}")
    if "kind" in dr and dr["kind"] not in KINDS:
        errors.append(f"draft {n}: bad kind {dr['kind']!r}")
    errors += [f"draft {n}: bad code {c!r}" for c in dr.get("disease_areas", []) if not ICD.match(c)]
    errors += [f"draft {n}: bad population {x!r}" for x in dr.get("populations", []) if x not in POPS]
    errors += [f"draft {n}: bad topic {x!r}" for x in dr.get("topics", []) if x not in TOPICS]
    exp = d.get("expected") or []
    if not 1 <= len(exp) <= 4 or len(set(exp)) != len(exp):
        errors.append(f"draft {n}: expected must be 1-4 distinct ids")
    errors += [f"draft {n}: unknown expected id {x!r}" for x in exp if x not in docs]
    if not d.get("why"):
        errors.append(f"draft {n}: no why")

print("pairs:", len(pairs), dict(collections.Counter(p["label"] for p in pairs)))
print("drafts:", len(drafts))
if errors:
    print("\n".join(errors))
    sys.exit(1)
print("OK")
