"""A limit on failed logins, so a token cannot be guessed by trying many: at most `limit` failures in
`window` seconds per client address, and per token prefix (the same guessed token family from many
addresses). Past either, every login from that address or with that prefix is refused with 429 and
`Retry-After` until the oldest failure leaves the window, a right token included (else a 429 for a
wrong one and a 200 for the right one would still let guessing go on)."""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable

MAX_KEYS = 100_000  # addresses and prefixes remembered at once; the oldest are forgotten first


class LoginLimiter:
    def __init__(self, limit: int = 10, window: float = 60.0, prefix: int = 6,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.limit, self.window, self.prefix, self._clock = limit, window, prefix, clock
        self._failures: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def _keys(self, address: str, token: str | None) -> list[tuple[str, str]]:
        keys = [("address", address)]
        if token:
            keys.append(("prefix", token[: self.prefix]))
        return keys

    def _recent(self, key: tuple[str, str], now: float) -> deque[float] | None:
        times = self._failures.get(key)
        if times is None:
            return None
        while times and times[0] <= now - self.window:
            times.popleft()
        if not times:
            del self._failures[key]
            return None
        return times

    def retry_after(self, address: str, token: str | None) -> int | None:
        """Seconds until a login from `address` with `token` is tried again, None when it may be now."""
        now = self._clock()
        wait = 0.0
        with self._lock:
            for key in self._keys(address, token):
                times = self._recent(key, now)
                if times is not None and len(times) >= self.limit:
                    wait = max(wait, times[-self.limit] + self.window - now)
        return max(1, math.ceil(wait)) if wait > 0 else None

    def failed(self, address: str, token: str | None) -> None:
        now = self._clock()
        with self._lock:
            for key in self._keys(address, token):
                times = self._recent(key, now)
                if times is None:
                    times = self._failures[key] = deque(maxlen=self.limit)
                times.append(now)
            while len(self._failures) > MAX_KEYS:
                del self._failures[next(iter(self._failures))]
