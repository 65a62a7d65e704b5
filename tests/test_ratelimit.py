"""The per-number send rate, in one process with threads and across processes.

Counts are checked against the rate's bound, rate * elapsed + burst, measured from a
moment before the first send, so a slow machine only loosens the check.
"""

import multiprocessing
import socket
import threading
import time
import uuid
from urllib.parse import urlsplit

import pytest

from tests.conftest import TEST_REDIS_URL
from wfb.whatsapp import ratelimit
from wfb.whatsapp.errors import GraphUnavailable
from wfb.whatsapp.ratelimit import KEY, MemoryLimiter, RedisLimiter

needs_redis = pytest.mark.skipif(not TEST_REDIS_URL, reason="needs TEST_REDIS_URL")
RATE = 100
SECONDS = 1.5
SLACK = 3


def private_db(url: str) -> str:
    """The same Redis, database 15: a test that flushes database 0 at the same time
    would otherwise empty the bucket in the middle of the count."""
    return urlsplit(url)._replace(path="/15").geturl()


def a_number() -> str:
    return f"test-{uuid.uuid4().hex}"


def assert_within_rate(start: float, stamps: list[float], rate: int) -> None:
    """No prefix of the sends exceeds rate * elapsed + burst; some were made."""
    stamps = sorted(stamps)
    for count, stamp in enumerate(stamps, start=1):
        assert count <= rate * (stamp - start) + rate + SLACK, (count, stamp - start)
    assert len(stamps) >= rate * SECONDS * 0.3


def send_for(limiter, number: str, deadline: float, stamps: list) -> None:
    while time.time() < deadline:
        wait = limiter.reserve(number, RATE)
        if wait:
            time.sleep(wait)
        stamps.append(time.time())


def test_threads_in_one_process_keep_to_the_rate():
    limiter, number, stamps = MemoryLimiter(), a_number(), []
    start = time.time()
    deadline = start + SECONDS
    threads = [
        threading.Thread(target=send_for, args=(limiter, number, deadline, stamps))
        for _ in range(8)
    ]

    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert_within_rate(start, stamps, RATE)


def _process_sends(url, number, barrier, seconds, results):
    limiter = RedisLimiter(url)
    barrier.wait()
    start = time.time()
    stamps = []
    send_for(limiter, number, start + seconds, stamps)
    results.put((start, stamps))


@needs_redis
def test_three_processes_sharing_redis_keep_to_the_rate_together():
    spawn = multiprocessing.get_context("spawn")
    barrier, results, number = spawn.Barrier(4), spawn.Queue(), a_number()
    workers = [
        spawn.Process(
            target=_process_sends,
            args=(private_db(TEST_REDIS_URL), number, barrier, SECONDS, results),
        )
        for _ in range(3)
    ]
    for worker in workers:
        worker.start()

    barrier.wait(timeout=60)
    reports = [results.get(timeout=60) for _ in workers]
    for worker in workers:
        worker.join(timeout=10)

    assert [w.exitcode for w in workers] == [0, 0, 0]
    start = min(first for first, _ in reports)
    assert_within_rate(start, [stamp for _, s in reports for stamp in s], RATE)


def test_a_quiet_number_may_burst_one_seconds_worth_then_waits():
    limiter, number = MemoryLimiter(), a_number()

    waits = [limiter.reserve(number, 10) for _ in range(11)]

    assert waits[:10] == [0.0] * 10
    assert 0.05 < waits[10] <= 0.1


@pytest.mark.parametrize(
    "limiter_kind", ["memory", pytest.param("redis", marks=needs_redis)]
)
def test_a_penalty_makes_the_next_send_wait_for_it(limiter_kind):
    limiter = (
        MemoryLimiter()
        if limiter_kind == "memory"
        else RedisLimiter(private_db(TEST_REDIS_URL))
    )
    number = a_number()
    limiter.reserve(number, 50)

    limiter.penalize(number, 2.0)
    first, second = limiter.reserve(number, 50), limiter.reserve(number, 50)

    assert 1.9 <= first <= 2.0
    assert second == pytest.approx(first + 0.02, abs=0.01)


def test_a_rate_below_one_is_refused():
    with pytest.raises(ValueError):
        MemoryLimiter().reserve(a_number(), 0)


def test_acquire_uses_the_settings_store_and_returns_at_once_when_quiet(app):
    number = a_number()
    started = time.monotonic()

    for _ in range(5):
        ratelimit.acquire(number, 80)
    ratelimit.penalize(number, 0.2)
    ratelimit.acquire(number, 80)

    assert time.monotonic() - started >= 0.19
    if TEST_REDIS_URL:
        assert isinstance(ratelimit.limiter(), RedisLimiter)
        assert ratelimit.limiter().redis.exists(KEY.format(number)) == 1
    else:
        assert ratelimit.limiter() is ratelimit._memory


def test_acquire_without_its_redis_refuses_to_send_so_the_caller_retries(
    app, monkeypatch
):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead = f"redis://127.0.0.1:{probe.getsockname()[1]}/0"
    monkeypatch.setattr(app.config["SETTINGS"], "REDIS_URL", dead)

    with pytest.raises(GraphUnavailable) as caught:
        ratelimit.acquire(a_number(), 80)
    ratelimit.penalize(a_number(), 1.0)

    assert caught.value.kind == "retry"
