"""States and retry timing of a stream tile: plain data, no Qt (tested alone)."""

from __future__ import annotations

import dataclasses as dc
from enum import StrEnum


class TileState(StrEnum):
    IDLE = "idle"  # no camera
    STOPPED = "stopped"  # 已停止: camera set, stopped on purpose (e.g. shown full screen elsewhere)
    CONNECTING = "connecting"  # 连接中: source set, no frame yet
    PLAYING = "playing"  # 播放中: frames arriving
    NO_SIGNAL = "no_signal"  # 无信号: no frame for a while / stream ended
    ERROR = "error"  # 错误: the player reported an error


@dc.dataclass(frozen=True)
class RetryPolicy:
    """How a tile waits for frames and how it backs off between reconnects."""

    first_delay_s: float = 1.0
    factor: float = 2.0
    max_delay_s: float = 30.0
    connect_timeout_s: float = 10.0  # no first frame within this: no signal
    silence_timeout_s: float = 5.0  # no frame for this long while playing: no signal

    def delay(self, attempt: int) -> float:
        """Seconds to wait before reconnect number `attempt` (0-based)."""
        if attempt < 0:
            raise ValueError("attempt < 0")
        return min(self.max_delay_s, self.first_delay_s * self.factor ** min(attempt, 60))
