"""The redesign's promise: every read answer on the shipped registry is what it was when recorded."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.api import golden

pytestmark = pytest.mark.slow  # replays 891 requests in another process

ROOT = Path(__file__).parents[2]


def test_every_read_answer_on_the_registry_is_the_recorded_one() -> None:
    env = {**os.environ, "PYTHONHASHSEED": golden.HASH_SEED}
    done = subprocess.run(
        [sys.executable, "-m", "tests.api.golden"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert " 0 changed, 0 no longer asked" in done.stdout
