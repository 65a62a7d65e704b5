"""Each phone number's send rate, kept across every process that sends for it.

A send reserves the next free slot with the generic cell rate algorithm (GCRA): the
bucket keeps the theoretical arrival time (`tat`) of the next message, a sender moves it
one interval on and sleeps until its slot is due. A quiet number may burst one second's
worth of messages. With Redis a Lua script does the reservation atomically on Redis's
clock, so any number of processes together keep to the rate; the embedded mode has one
process, so a locked dict does the same there.
"""

import logging
import threading
import time

import redis
from flask import current_app

from wfb.whatsapp.errors import GraphUnavailable

logger = logging.getLogger(__name__)

KEY = "wfb:rate:{}"
MICROS = 1_000_000

# ARGV: interval and burst in microseconds. Answers the wait in microseconds.
_RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local state = redis.call('HMGET', KEYS[1], 'tat', 'hold')
local tat = math.max(tonumber(state[1]) or now, now)
local hold = tonumber(state[2])
if hold then
  tat = math.max(tat, hold + burst - interval)
  redis.call('HDEL', KEYS[1], 'hold')
end
tat = tat + interval
redis.call('HSET', KEYS[1], 'tat', string.format('%.0f', tat))
redis.call('PEXPIRE', KEYS[1], math.ceil((tat - now) / 1000) + 1000)
return math.max(0, math.ceil(tat - burst - now))
"""

# ARGV: the penalty in microseconds.
_PENALIZE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local hold = now + tonumber(ARGV[1])
local current = tonumber(redis.call('HGET', KEYS[1], 'hold'))
if current and current > hold then hold = current end
redis.call('HSET', KEYS[1], 'hold', string.format('%.0f', hold))
local ttl = math.ceil((hold - now) / 1000) + 1000
if redis.call('PTTL', KEYS[1]) < ttl then redis.call('PEXPIRE', KEYS[1], ttl) end
return 0
"""


def _interval(rate: int) -> float:
    if rate < 1:
        raise ValueError(f"A send rate must be at least 1 a second, not {rate}")
    return 1 / rate


class MemoryLimiter:
    """The rate of each number inside one process."""

    def __init__(self):
        self._lock = threading.Lock()
        self._tat: dict[str, float] = {}
        self._hold: dict[str, float] = {}

    def reserve(self, phone_number_id: str, rate: int) -> float:
        """Take the next slot; answer how many seconds to wait for it."""
        interval, burst = _interval(rate), 1.0
        with self._lock:
            now = time.monotonic()
            tat = max(self._tat.get(phone_number_id, now), now)
            hold = self._hold.pop(phone_number_id, None)
            if hold is not None:
                tat = max(tat, hold + burst - interval)
            tat += interval
            self._tat[phone_number_id] = tat
        return max(0.0, tat - burst - now)

    def penalize(self, phone_number_id: str, seconds: float) -> None:
        with self._lock:
            hold = time.monotonic() + seconds
            self._hold[phone_number_id] = max(hold, self._hold.get(phone_number_id, 0))


class RedisLimiter:
    """The rate of each number, shared by every process that uses this Redis."""

    def __init__(self, url: str):
        self.redis = redis.Redis.from_url(
            url, socket_connect_timeout=2, socket_timeout=5
        )
        self._reserve = self.redis.register_script(_RESERVE)
        self._penalize = self.redis.register_script(_PENALIZE)

    def reserve(self, phone_number_id: str, rate: int) -> float:
        """Take the next slot; answer how many seconds to wait for it."""
        interval = _interval(rate) * MICROS
        key = KEY.format(phone_number_id)
        wait = self._reserve(keys=[key], args=[repr(interval), MICROS])
        return int(wait) / MICROS

    def penalize(self, phone_number_id: str, seconds: float) -> None:
        key = KEY.format(phone_number_id)
        self._penalize(keys=[key], args=[int(seconds * MICROS)])


_memory = MemoryLimiter()
_shared: dict[str, RedisLimiter] = {}
_shared_lock = threading.Lock()


def limiter() -> MemoryLimiter | RedisLimiter:
    """Redis when the settings name one, otherwise this process's own buckets."""
    url = current_app.config["SETTINGS"].REDIS_URL
    if not url:
        return _memory
    with _shared_lock:
        if url not in _shared:
            _shared[url] = RedisLimiter(url)
        return _shared[url]


def acquire(phone_number_id: str, rate: int) -> None:
    """Block until this number may send one more message at `rate` a second.

    Without Redis no process can know the shared rate, so nothing may be sent: the
    caller gets GraphUnavailable, which it retries like any send that never left.
    """
    try:
        wait = limiter().reserve(phone_number_id, rate)
    except redis.RedisError as exc:
        logger.warning("send rate of %s unknown: %s", phone_number_id, exc)
        raise GraphUnavailable("The send rate store (Redis) is unreachable") from exc
    if wait > 0:
        time.sleep(wait)


def penalize(phone_number_id: str, seconds: float) -> None:
    """Make the number's next sends wait `seconds`, as after Meta's 130429."""
    try:
        limiter().penalize(phone_number_id, seconds)
    except redis.RedisError:
        # Called while handling Meta's error; that error is what the caller needs.
        logger.warning("could not slow %s down: Redis is unreachable", phone_number_id)
