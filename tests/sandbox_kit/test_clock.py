import pytest

from host.sandbox_kit import SandboxClock


def test_advance_moves_now_and_ticks():
    clock = SandboxClock()
    before, ticks = clock.now(), clock.ticks()
    clock.advance(3600)
    assert clock.now() - before >= 3600
    assert clock.ticks() - ticks >= 3600
    clock.reset()
    assert clock.now() - before < 5


def test_time_scale_speeds_up_ticks_only():
    import time

    clock = SandboxClock(time_scale=1000)
    t0, n0 = clock.ticks(), clock.now()
    time.sleep(0.05)
    assert clock.ticks() - t0 >= 40
    assert clock.now() - n0 < 1
    assert clock.real_seconds(60) == pytest.approx(0.06)


def test_clock_never_goes_back():
    with pytest.raises(ValueError):
        SandboxClock().advance(-1)
