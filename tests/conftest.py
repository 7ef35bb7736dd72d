"""Shared test settings: hypothesis without deadlines (shared, noisy machines), modest examples."""

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "glassgrad", deadline=None, max_examples=int(os.environ.get("HYPOTHESIS_EXAMPLES", "40")),
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("glassgrad")
