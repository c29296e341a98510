"""conftest.py - shared fixtures for the Python tests (Debian's pytest).

Puts tests/lib (motoserver) and src/functions (the Lambda functions) on
sys.path and provides one moto server for the whole session, started with signature
checking on. Tests that need an empty world take a region of their own
(`fresh_region`): moto keeps EC2 and EventBridge state per region, while
IAM, which holds the test's access key, is global. When the regions run
out, the emulator is reset and they are used again.
"""
import itertools
import os
import sys

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
for sub in ("tests/lib", "src/functions"):
    path = os.path.join(ROOT, sub)
    if path not in sys.path:
        sys.path.insert(0, path)

os.environ["AWS_EC2_METADATA_DISABLED"] = "true"

from motoserver import MotoServer  # noqa: E402

REGIONS = [
    "us-east-2", "us-west-1", "us-west-2", "ca-central-1", "sa-east-1",
    "eu-west-1", "eu-west-2", "eu-west-3", "eu-central-1", "eu-north-1",
    "eu-south-1", "ap-south-1", "ap-northeast-1", "ap-northeast-2",
    "ap-northeast-3", "ap-southeast-1", "ap-southeast-2", "ap-east-1",
    "me-south-1", "af-south-1", "eu-central-2", "ap-south-2",
    "eu-south-2", "me-central-1", "ap-southeast-3", "ap-southeast-4",
    "il-central-1", "ca-west-1", "ap-east-2", "ap-southeast-5", "ap-southeast-6",
    "ap-southeast-7", "mx-central-1",
]
_next_region = itertools.cycle(REGIONS)
_used = set()


@pytest.fixture(scope="session")
def moto():
    log = os.environ.get("ANNEX_MOTO_LOG")
    with MotoServer(log=log) as server:
        yield server


@pytest.fixture
def fresh_region(moto):
    """A region no earlier test has used since the emulator was last reset.
    When every region of REGIONS has been used, the emulator is reset (the
    tests run one after another, so no earlier test still needs its world)
    and the cycle starts again."""
    region = next(_next_region)
    if region in _used:
        moto.reset()
        _used.clear()
    _used.add(region)
    return region
