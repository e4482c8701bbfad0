"""Other output prints above the sweep's line on a terminal, never into it."""

from __future__ import annotations

import io
import logging
import sys
import threading

from loopsim.experiments.cli.above_line import AboveLine, keep_above, unwrap_streams
from loopsim.experiments.cli.sweep_progress import SweepLine


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_text_lands_at_the_start_of_a_blanked_row_and_the_line_comes_back():
    tty = Tty()
    line = SweepLine(4, stream=tty)
    line.draw()
    out = AboveLine(tty, line)
    out.write("[HYDRA] #0 : policy=ctr")  # a row left open: the line must not draw into it
    line.draw()
    out.write("\n")
    line.draw()
    text = tty.getvalue()
    drawn = "sweep: 0/4 runs done, 0 failed, 0s elapsed"
    assert text == (f"\r{drawn}" + "\r" + " " * len(drawn) + "\r"
                    + "[HYDRA] #0 : policy=ctr\n" + f"\r{drawn}")


def test_keep_above_routes_the_streams_and_logging_then_restores_them(monkeypatch):
    tty = Tty()
    monkeypatch.setattr(sys, "stdout", tty)
    handler = logging.StreamHandler(tty)
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        line = SweepLine(2, stream=tty)
        undo = keep_above(line)
        assert isinstance(sys.stdout, AboveLine) and isinstance(handler.stream, AboveLine)
        line.draw()
        root.warning("launching 2 jobs")
        undo()
        assert sys.stdout is tty and handler.stream is tty
    finally:
        root.removeHandler(handler)
    assert "\rlaunching 2 jobs\n" in tty.getvalue()


def test_in_a_log_nothing_is_rerouted():
    log = io.StringIO()
    before = sys.stdout
    undo = keep_above(SweepLine(2, stream=log))
    assert sys.stdout is before
    undo()


def test_a_forked_job_writes_straight_to_the_terminal_even_with_the_line_locked(monkeypatch):
    """A job forked while the drawing thread held the line's lock must not wait on it."""
    tty = Tty()
    monkeypatch.setattr(sys, "stdout", tty)
    monkeypatch.setattr(sys, "stderr", tty)
    handler = logging.StreamHandler(tty)
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        line = SweepLine(2, stream=tty)
        undo = keep_above(line)
        line.draw()
        held, release = threading.Event(), threading.Event()

        def hold_the_lock() -> None:  # the drawing thread, caught by the fork mid-draw
            with line.lock:
                held.set()
                release.wait(10)

        holder = threading.Thread(target=hold_the_lock)
        holder.start()
        held.wait(10)
        unwrap_streams()
        writer = threading.Thread(target=lambda: (print("job line"),
                                                  root.warning("job warning")))
        writer.start()
        writer.join(5)
        finished = not writer.is_alive()
        release.set()
        holder.join()
        writer.join()
        assert finished, "the job's output waited on the sweep line's lock"
        assert sys.stdout is tty and sys.stderr is tty and handler.stream is tty
        undo()
    finally:
        root.removeHandler(handler)
    assert "job line\njob warning\n" in tty.getvalue()
