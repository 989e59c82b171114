"""The live incident queue: a paged, incrementally refreshed table of open cases.

- `source`: the `QueueSource` protocol, `SessionQueueSource` (one Session per call)
  and `FakeQueueSource` (FAKE rows in memory, for demos and tests);
- `model`: `CaseQueueModel`, the `QAbstractTableModel` (no reset on refresh);
- `view`: `QueueWidget`, table + filter bar + count + alerts for new red cases;
- `labels`: display strings in Chinese and English.

Names are imported lazily, so `python -m widgets.queue.view` runs the demo cleanly.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "CaseQueueModel": "widgets.queue.model", "QueueDelta": "widgets.queue.model",
    "QueueSource": "widgets.queue.source", "SessionQueueSource": "widgets.queue.source",
    "FakeQueueSource": "widgets.queue.source", "QueueWidget": "widgets.queue.view",
}
__all__ = list(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'widgets.queue' has no attribute {name!r}")
