"""RunControl.held: a front end can tell a loop waiting at its gate from one mid-step."""

from __future__ import annotations

import threading
import time

from rnntui.engine.control import RunControl


def test_held_is_true_only_while_the_loop_waits_and_keeps_it_there():
    control = RunControl()
    with control.held() as parked:
        assert not parked                       # no loop is at the gate
    control.pause()
    passed = threading.Event()
    loop = threading.Thread(target=lambda: control.gate() and passed.set())
    loop.start()
    deadline = time.monotonic() + 5
    while True:
        with control.held() as parked:
            if parked:
                control.resume()                # the loop cannot leave while it is held...
                time.sleep(0.05)
                assert not passed.is_set()
                break
        assert time.monotonic() < deadline
        time.sleep(0.01)
    loop.join(5)                                # ...and goes on once released
    assert passed.is_set()
    with control.held() as parked:
        assert not parked
