"""Shared fixtures: where the shipped specs are."""

from __future__ import annotations

from pathlib import Path

import pytest

from spec_paths import SPEC


@pytest.fixture
def spec_dir() -> Path:
    return SPEC
