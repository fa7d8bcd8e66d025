"""Shared fixtures of the macsql Python tests: the shared data and the macsql binary."""

import os
import pathlib
import shutil

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
DATA = ROOT.parent / "shared" / "data"


def _binary() -> pathlib.Path:
    """The macsql command line the shell results are compared with (MACSQL_BIN or a cargo build)."""
    if os.environ.get("MACSQL_BIN"):
        return pathlib.Path(os.environ["MACSQL_BIN"])
    target = pathlib.Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    for profile in ("debug", "release"):
        candidate = target / profile / "macsql"
        if candidate.exists():
            return candidate
    found = shutil.which("macsql")
    if found:
        return pathlib.Path(found)
    pytest.skip("no macsql binary: run `cargo build` or set MACSQL_BIN")


@pytest.fixture(scope="session")
def macsql_bin() -> pathlib.Path:
    return _binary()


@pytest.fixture(scope="session")
def data() -> pathlib.Path:
    if not DATA.exists():
        pytest.skip(f"the shared data is not at {DATA}")
    return DATA
