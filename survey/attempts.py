"""Failed attempts per key in a sliding window, in one process: the sign-in limits of :mod:`survey.users`
(per account name and per client)."""

from __future__ import annotations

import threading
import time


class FailureLimiter:
    """Failed attempts per key in a sliding window, in this process (thread-safe). Keys are bounded
    strings; the table forgets keys whose failures have aged out, so it cannot grow without bound."""

    def __init__(self, window_seconds: float) -> None:
        self.window = float(window_seconds)
        self._failures: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now_s: float) -> list[float]:
        kept = [t for t in self._failures.get(key, ()) if now_s - t < self.window]
        if kept:
            self._failures[key] = kept
        else:
            self._failures.pop(key, None)
        return kept

    def retry_after(self, limits: dict[str, int]) -> float:
        """Seconds until every key is below its limit (0 when none is at it)."""
        now_s = time.monotonic()
        wait = 0.0
        with self._lock:
            if len(self._failures) > 10_000:  # prune aged-out keys now and then
                for key in list(self._failures):
                    self._recent(key, now_s)
            for key, limit in limits.items():
                recent = self._recent(key, now_s)
                if len(recent) >= limit:
                    wait = max(wait, self.window - (now_s - recent[-limit]))
        return wait

    def fail(self, keys: list[str]) -> None:
        now_s = time.monotonic()
        with self._lock:
            for key in keys:
                self._failures.setdefault(key, []).append(now_s)

    def locked_for(self, key: str, count: int) -> float:
        """Seconds left of the window that began at the ``count``-th most recent failure of ``key`` (0 if fewer)."""
        now_s = time.monotonic()
        with self._lock:
            recent = self._recent(key, now_s)
            return max(0.0, self.window - (now_s - recent[-count])) if len(recent) >= count else 0.0

    def clear(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)
