"""Group commit's linger: under concurrent load a batch waits, briefly, for company."""

import asyncio
from pathlib import Path

import pytest

from sidecar.audit import AuditTrail, verify_paths
from sidecar.audit import trail as trail_module

from .helpers import KEY, fields


class LingerWatch:
    """Stands in for the trail's linger sleep: records each wait, optionally holds it."""

    def __init__(self) -> None:
        self.waits: list[float] = []
        self.lingering = asyncio.Event()
        self.release = asyncio.Event()
        self.release.set()

    async def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.lingering.set()
        await self.release.wait()


@pytest.fixture
def linger(monkeypatch: pytest.MonkeyPatch) -> LingerWatch:
    watch = LingerWatch()
    monkeypatch.setattr(trail_module, "_linger_sleep", watch.sleep)
    return watch


async def test_a_lone_append_is_written_without_lingering(
    trail_dir: Path, linger: LingerWatch
) -> None:
    async with await AuditTrail.open(trail_dir, KEY, fsync=True) as trail:
        for number in range(5):
            await trail.append(fields(number))

        assert linger.waits == []
        assert (trail.records_written, trail.fsyncs) == (5, 5)


class SteppingClock:
    """A clock that moves on by `step` seconds each time it is read."""

    def __init__(self, step: float) -> None:
        self.now = 1000.0
        self.step = step

    def __call__(self) -> float:
        self.now += self.step
        return self.now


LINGER = trail_module.LINGER_SECONDS


@pytest.mark.parametrize(
    ("step", "expected_waits"),
    [
        # Fresh records: the whole linger, and no more.
        (0.0, [LINGER, LINGER]),
        # The clock moves 0.4 ms per read (arrival, arrival, check; arrival, check): each
        # batch waits only what is left of the linger since its oldest record arrived.
        (0.0004, [LINGER - 0.0008, LINGER - 0.0004]),
        # Records that already waited longer than the linger are not held at all.
        (0.002, []),
    ],
)
async def test_the_linger_is_bounded_from_the_oldest_records_arrival(
    trail_dir: Path,
    linger: LingerWatch,
    monkeypatch: pytest.MonkeyPatch,
    step: float,
    expected_waits: list[float],
) -> None:
    monkeypatch.setattr(trail_module, "_clock", SteppingClock(step))
    async with await AuditTrail.open(trail_dir, KEY, fsync=True) as trail:
        await asyncio.gather(trail.append(fields(1)), trail.append(fields(2)))
        await trail.append(fields(3))

    assert linger.waits == [pytest.approx(wait) for wait in expected_waits]
    assert verify_paths([trail_dir], KEY).records == 3


async def test_appends_made_while_the_batch_lingers_share_its_fsync(
    trail_dir: Path, linger: LingerWatch
) -> None:
    async with await AuditTrail.open(trail_dir, KEY, fsync=True) as trail:
        # Two at once: the trail now knows it is under concurrent load.
        await asyncio.gather(trail.append(fields(1)), trail.append(fields(2)))
        assert trail.fsyncs == 1
        linger.release.clear()
        linger.lingering.clear()

        first = asyncio.create_task(trail.append(fields(3)))
        await linger.lingering.wait()
        company = [asyncio.create_task(trail.append(fields(n))) for n in range(4, 8)]
        await asyncio.sleep(0)
        assert not first.done()  # not acknowledged before its fsync
        linger.release.set()
        await asyncio.gather(first, *company)

        assert (trail.records_written, trail.fsyncs) == (7, 2)
    assert verify_paths([trail_dir], KEY).records == 7


async def test_linger_zero_never_waits(trail_dir: Path, linger: LingerWatch) -> None:
    async with await AuditTrail.open(trail_dir, KEY, fsync=True, linger=0) as trail:
        await asyncio.gather(*(trail.append(fields(number)) for number in range(50)))
        await asyncio.gather(*(trail.append(fields(number)) for number in range(50)))

    assert linger.waits == []


@pytest.mark.parametrize("linger", [-0.001, trail_module.LINGER_SECONDS * 1.5])
async def test_linger_outside_zero_to_the_bound_is_refused(trail_dir: Path, linger: float) -> None:
    with pytest.raises(ValueError, match="linger"):
        await AuditTrail.open(trail_dir, KEY, linger=linger)
