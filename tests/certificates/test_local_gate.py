"""The lookup gate inside each process (certificates/local_gate.py, issue #8), against the real
Redis: two gates with clients of their own stand for two web processes."""

import time

import pytest
import redis
from django.core.cache import caches

from certificates import lookups
from certificates.local_gate import LocalGate
from tests.certificates.test_certificate_page import certificate_of
from tests.conftest import REDIS_URL, needs_redis

pytestmark = [needs_redis, pytest.mark.django_db]

WINDOW = 1
LIMIT = "test:limit:{}"


def other_process(**kwargs) -> LocalGate:
    """A gate like another web process's: its own client, pool and listener."""
    backend = caches["default"]
    gate = LocalGate(
        redis.Redis.from_url(REDIS_URL),
        channel=backend.make_key(lookups.FORGET_CHANNEL),
        flush_seconds=kwargs.pop("flush_seconds", 3600),  # merged when the test says
        max_bytes=kwargs.pop("max_bytes", 2**20),
        max_age=kwargs.pop("max_age", 3600),
    )
    assert gate.subscribed.wait(10)
    return gate


@pytest.fixture
def gates():
    started = []

    def start(**kwargs):
        started.append(other_process(**kwargs))
        return started[-1]

    yield start
    for gate in started:
        gate.close()


def ask(gate, address="1.2.3.4", limit=1000, number="", field="page-en"):
    return gate.gate(
        window=WINDOW,
        limit_key=LIMIT.format(address),
        limit=limit,
        limit_ttl=65,
        count_key="test:count",
        count_ttl=600,
        number=number,
        field=field,
    )


def until(predicate, seconds=5.0):
    stop = time.monotonic() + seconds
    while time.monotonic() < stop:
        if predicate():
            return True
        time.sleep(0.01)
    return False


def test_a_forget_in_one_process_reaches_the_copy_in_another(world, gates):
    """answers_forget (what every change of a public answer calls) deletes the Redis entry and
    publishes the number: the other process's listener drops its own copy."""
    number = certificate_of(world).number
    there = gates()
    _, answer, forgets = ask(there, number=number)
    assert answer is None
    assert there.store(number, "page-en", b"old answer", forgets) is True
    assert ask(there, number=number)[1] == b"old answer"
    assert there.size() == (1, len(b"old answer"))

    assert lookups.answers_forget([number]) == 1
    assert until(lambda: there.size() == (0, 0))
    assert ask(there, number=number)[1] is None


def test_an_answer_read_before_a_forget_is_not_kept_after_it(gates):
    """The race of an in-process copy: a reader that read Redis before a change was forgotten
    must not store what it read once the forget has come in."""
    gate = gates()
    _, _, forgets = ask(gate, number="IETS-1")
    gate.forget(["IETS-2"])  # any forget in between, of any number
    assert gate.store("IETS-1", "page-en", b"stale", forgets) is False
    assert gate.size() == (0, 0)
    _, _, forgets = ask(gate, number="IETS-1")
    assert gate.store("IETS-1", "page-en", b"fresh", forgets) is True


def test_one_process_limits_exactly_and_two_merge_their_counts(gates):
    first, second = gates(), gates()
    assert [ask(first, limit=5)[0] for _ in range(6)] == [True] * 5 + [False]
    first.reset()
    client = redis.Redis.from_url(REDIS_URL)
    client.delete(LIMIT.format("1.2.3.4"), "test:count")

    assert [ask(first, limit=5)[0] for _ in range(3)] == [True] * 3
    first.flush()
    # 6 in all, one too many: the second does not know the first's yet
    assert [ask(second, limit=5)[0] for _ in range(3)] == [True] * 3
    second.flush()  # the merge tells the second process the total over both
    assert int(client.get(LIMIT.format("1.2.3.4"))) == 6
    assert ask(second, limit=5)[0] is False
    # the first knows 3 and this one: what lets a client exceed the limit
    assert ask(first, limit=5)[0] is True
    first.flush()
    assert ask(first, limit=5)[0] is False
    # refused lookups count too; the second's last one is not merged yet
    assert int(client.get("test:count")) == 7
    assert 0 < client.ttl(LIMIT.format("1.2.3.4")) <= 65
    assert 0 < client.ttl("test:count") <= 600


def test_what_a_merge_under_way_carries_still_counts(gates):
    """Between taking the counts for a merge and learning the totals, a request must still see
    them (it once saw neither, and passed the limit)."""
    gate = gates()
    assert [ask(gate, limit=3)[0] for _ in range(3)] == [True] * 3
    merge, during = gate._merge, []

    def merge_with_a_request_meanwhile(**kwargs):
        during.append(ask(gate, limit=3)[0])
        return merge(**kwargs)

    gate._merge = merge_with_a_request_meanwhile
    gate.flush()
    assert during == [False]
    assert ask(gate, limit=3)[0] is False
    assert gate._known == {LIMIT.format("1.2.3.4"): 3}


def test_an_address_seen_once_is_kept_apart_and_bounded(gates, monkeypatch):
    """The bench's worst case: every request from another address. Those seen once are kept in
    a set, emptied past ONCE_KEPT; until then one process still limits them exactly."""
    from certificates import local_gate

    monkeypatch.setattr(local_gate, "ONCE_KEPT", 150)
    gate = gates()
    for i in range(100):
        ask(gate, address=f"10.0.0.{i}", limit=2)
    ask(gate, address="10.0.0.1", limit=2)
    gate.flush()
    assert gate._known == {LIMIT.format("10.0.0.1"): 2}
    assert len(gate._once) == 99 and gate._limits == {} and gate._counts == {}
    assert ask(gate, address="10.0.0.2", limit=2)[0] is True  # its second
    assert ask(gate, address="10.0.0.2", limit=2)[0] is False  # its third
    for i in range(100, 160):
        ask(gate, address=f"10.0.1.{i}", limit=2)
    gate.flush()
    assert gate._once == set()  # 159 > 150: forgotten
    assert LIMIT.format("10.0.0.2") in gate._known


def test_the_copies_are_bounded_least_recently_used_first(gates):
    gate = gates(max_bytes=25)
    for number in ("A", "B", "C"):
        _, _, forgets = ask(gate, number=number)
        gate.store(number, "page-en", b"x" * 10, forgets)
    # 30 bytes over a bound of 25: A, the oldest, went
    assert gate.size() == (2, 20)
    assert ask(gate, number="A")[1] is None
    assert ask(gate, number="B")[1] == b"x" * 10  # B is now the most recent
    _, _, forgets = ask(gate, number="D")
    gate.store("D", "page-en", b"y" * 10, forgets)
    assert (ask(gate, number="B")[1], ask(gate, number="C")[1]) == (b"x" * 10, None)


def test_a_copy_lives_no_longer_than_its_redis_entry_may(gates, monkeypatch):
    from certificates import local_gate

    born = time.monotonic()
    monkeypatch.setattr(local_gate, "_now", lambda: born)
    gate = gates(max_age=60)
    _, _, forgets = ask(gate, number="IETS-1")
    gate.store("IETS-1", "page-en", b"answer", forgets)
    monkeypatch.setattr(local_gate, "_now", lambda: born + 60)
    assert ask(gate, number="IETS-1")[1] == b"answer"
    monkeypatch.setattr(local_gate, "_now", lambda: born + 61)
    assert ask(gate, number="IETS-1")[1] is None
    assert gate.size() == (0, 0)


def test_a_refused_request_reads_no_answer(gates):
    gate = gates()
    _, _, forgets = ask(gate, number="IETS-1", limit=1)
    gate.store("IETS-1", "page-en", b"answer", forgets)
    assert ask(gate, number="IETS-1", limit=1)[:2] == (False, None)


def test_a_lost_subscription_drops_the_copies_and_the_gate_waits_for_the_next(gates):
    """Forgets published while the listener is not subscribed are missed: while it is not, the
    gate does not answer (the round trip serves), and on subscribing again it starts empty."""
    gate = gates()
    web = lookups._local_gate(lookups._redis())  # this process's own, killed too
    before = (gate.subscriptions, web.subscriptions)
    _, _, forgets = ask(gate, number="IETS-1")
    gate.store("IETS-1", "page-en", b"answer", forgets)
    assert ask(gate, number="IETS-1")[1] == b"answer"
    redis.Redis.from_url(REDIS_URL).client_kill_filter(_type="pubsub")
    assert until(lambda: not gate.subscribed.is_set() or gate.size() == (0, 0))
    assert gate.size() == (0, 0)
    # subscribed again, both, before the next test
    assert until(lambda: gate.subscriptions > before[0] and web.subscriptions > before[1], 10)
    assert gate.subscribed.is_set() and web.subscribed.is_set()
    assert ask(gate, number="IETS-1")[1] is None


def test_a_gate_that_never_reached_redis_does_not_answer():
    gate = LocalGate(
        redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2),
        channel="nowhere",
        flush_seconds=0.05,
        max_bytes=2**20,
        max_age=3600,
    )
    try:
        assert ask(gate) is None
        assert gate.store("IETS-1", "page-en", b"answer", 0) is False
    finally:
        gate.close()


def test_the_web_process_gate_answers_and_is_told_of_a_change(world, client, settings):
    """Through the pages: the second anonymous lookup is copied into this process's memory, the
    third is answered from it, and a suspension shows on the next one."""
    from certificates.services import certificate_suspend
    from tests.conftest import T0

    certificate = certificate_of(world)
    path = f"/verify/{certificate.number}/"
    gate = lookups._local_gate(lookups._redis())
    assert client.get(path).status_code == 200  # rendered, stored in Redis
    assert gate.size() == (0, 0)
    first = client.get(path)  # replayed from Redis, and copied
    assert gate.size()[0] == 1
    assert client.get(path).content == first.content  # from memory
    certificate_suspend(number=certificate.number, actor=world.center, reason="检查", now=T0)
    assert gate.size() == (0, 0)
    assert "暂停" in client.get(path).content.decode()


def test_without_the_local_gate_each_lookup_takes_the_round_trip(world, client, settings):
    from django.core.cache import cache
    from django.utils import timezone

    settings.PUBLIC_LOOKUP_LOCAL = False
    settings.PUBLIC_LOOKUP_RATE = "3/m"
    assert lookups._local_gate(lookups._redis()) is None
    certificate = certificate_of(world)
    codes = [client.get(f"/verify/{certificate.number}/").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    key = lookups.KEY.format(day=timezone.localdate().isoformat(), channel="html")
    assert cache.get(key) == 4  # counted in Redis at once, no merge
    assert all(g.size() == (0, 0) for g in lookups.local_gates())
