"""conftest.py - fixtures for the integration tests (see README.md).

`env` (per test) and `module_env` (per module) own namespaces, daemons and helper
processes and tear them down in their finalizers, also when the test fails; a
daemon that does not exit 0 on SIGTERM, or whose stderr holds a sanitizer report,
makes the test error at teardown.
"""
import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def _preconditions():
    if os.geteuid() != 0:
        pytest.skip("integration tests need root (network namespaces, TAP devices)")
    b = harness.ustack_bin()
    if not os.access(b, os.X_OK):
        pytest.fail(f"ustack binary not found at {b}: build it first "
                    "(meson setup build-it -Db_sanitize=address,undefined && ninja -C build-it) "
                    "or set USTACK_BIN", pytrace=False)


@pytest.fixture
def env():
    e = harness.Env()
    try:
        yield e
    finally:
        e.close()


@pytest.fixture(scope="module")
def module_env():
    e = harness.Env()
    try:
        yield e
    finally:
        e.close()


@pytest.fixture
def stack(env):
    """The daemon at 198.18.0.2/24 on tp0 in a fresh namespace; the kernel at 198.18.0.1/24."""
    return env.stack()
