"""What a delivery worker has done so far, for benchmarks and logs."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field


@dataclass
class DeliveryStats:
    """Rows sent, failed for good and put off, and where the worker's time went."""

    sent: int = 0
    failed: int = 0
    retried: int = 0
    # Time spent in calls to Slack, and in the worker's own claiming and recording.
    slack_seconds: float = 0.0
    own_seconds: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)
