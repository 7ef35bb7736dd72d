"""Shared test settings: hypothesis without deadlines (shared, noisy machines), modest examples.

CI sets ``GLASSGRAD_REQUIRE_CROSSCHECKS=1``: then the peers of the cross-checks (PyTorch,
micrograd, ONNX), the notebook's kernel and headless Chromium must be there, so that none of
their tests is skipped in silence; a missing or broken one stops the run with its name.
"""

import importlib
import os
import shutil

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "glassgrad", deadline=None, max_examples=int(os.environ.get("HYPOTHESIS_EXAMPLES", "40")),
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("glassgrad")

REQUIRED_FOR_CI = ("torch", "micrograd", "onnx", "onnxruntime", "nbclient", "ipykernel")


def pytest_configure(config: pytest.Config) -> None:
    if os.environ.get("GLASSGRAD_REQUIRE_CROSSCHECKS") != "1":
        return
    missing = []
    for name in REQUIRED_FOR_CI:
        try:
            importlib.import_module(name)
        except ImportError as error:
            missing.append(f"{name} ({error})")
    if not any(shutil.which(name) for name in ("chromium", "chromium-browser", "google-chrome")):
        missing.append("chromium (the program)")
    if missing:
        raise pytest.UsageError("GLASSGRAD_REQUIRE_CROSSCHECKS=1, but these are missing: "
                                + "; ".join(missing) + " (make crosscheck installs the Python "
                                "ones)")
