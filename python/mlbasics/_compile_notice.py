"""Keep the command line talking: a notice while Numba compiles, a heartbeat during long work.

The Numba backend's kernels are ``@njit(cache=True)``: the first call of each on a new machine
(or after an upgrade) compiles it — tens of seconds for the whole main job — and later runs load
it from the on-disk cache in milliseconds. :class:`CompileNotice` listens to Numba's
``"numba:compile"`` event (``numba.core.event``), which fires only on a real compilation, never
on a cache hit, so a warm run prints nothing about compiling. On the first compilation it
writes::

    compiling Numba kernels (first run only, cached afterwards)… LinearRegression on diabetes, numba

then, while compiling goes on, a progress line every ``interval`` seconds, and
:meth:`CompileNotice.done` closes a task with how many kernels it compiled and how long that
took. Work that runs long without compiling (a slow fit on a busy machine) gets a line too
when nothing was written for ``interval`` seconds::

      … MLPClassifier(64,) on digits, numpy: 6 s

On a terminal the progress lines rewrite one line in place. Everything goes to ``stream``
(stderr in ``__main__``), so ``--json`` output stays machine-readable; the caller reports its
own output with :meth:`CompileNotice.done` (before a row) so the heartbeat knows it was not
silent.
"""
from __future__ import annotations

import sys
import threading
import time
from typing import Any, Optional, TextIO

__all__ = ["CompileNotice"]

MESSAGE = "compiling Numba kernels (first run only, cached afterwards)…"


class CompileNotice:
    """Context manager: announce Numba compilations, with progress, and long silent work on ``stream``.

    Parameters
    ----------
    stream : file-like, optional
        Where the lines go (default ``sys.stderr``).
    interval : float, default 2.0
        Seconds of silence after which a progress line is written (a terminal gets its line
        rewritten four times as often).

    Notes
    -----
    Compilations are only seen when Numba is imported by the time the context is entered (a run
    that uses no Numba kernel never imports it) and has its event API.
    """

    def __init__(self, stream: Optional[TextIO] = None, interval: float = 2.0) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.interval = float(interval)
        self.task = ""
        self.kernels = 0            # mlbasics kernels compiled since entering (nested ones too)
        self.seconds = 0.0          # wall time spent in top-level compilations since entering
        self._task_kernels = 0
        self._task_seconds = 0.0
        self._task_started = time.perf_counter()
        self._depth = 0
        self._compile_started = 0.0
        self._announced = False
        self._last_output = time.perf_counter()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None
        self._listener: Any = None
        self._tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self._open_line = False     # a progress line rewritten in place (terminal) is not ended yet

    # -- numba event listener -----------------------------------------------------------------
    def _on_start(self, event: Any) -> None:
        with self._lock:
            self._depth += 1
            if self._depth > 1:
                return
            self._compile_started = time.perf_counter()
            if not self._announced:
                self._announced = True
                self._write(f"{MESSAGE} {self.task}".rstrip())

    def _on_end(self, event: Any) -> None:
        with self._lock:
            self._depth -= 1
            dispatcher = getattr(event, "data", {}).get("dispatcher")
            module = getattr(getattr(dispatcher, "py_func", None), "__module__", "") or ""
            if module.startswith("mlbasics."):
                self.kernels += 1
                self._task_kernels += 1
            if self._depth == 0:
                spent = time.perf_counter() - self._compile_started
                self.seconds += spent
                self._task_seconds += spent

    # -- the heartbeat ----------------------------------------------------------------------------
    def _heartbeat(self) -> None:
        tick = self.interval / 4 if self._tty else self.interval / 2
        while not self._stop.wait(tick):
            with self._lock:
                now = time.perf_counter()
                quiet = now - self._last_output
                if self._tty and self._open_line:
                    quiet = self.interval  # keep a terminal's progress line fresh
                if quiet < self.interval:
                    continue
                where = f" ({self.task})" if self.task else ""
                if self._depth > 0:
                    running = self._task_seconds + now - self._compile_started
                    self._write(f"  … {self._task_kernels} kernels compiled, {running:.0f} s{where}", transient=True)
                elif self.task:
                    self._write(f"  … {self.task}: {now - self._task_started:.0f} s", transient=True)

    def _write(self, text: str, transient: bool = False) -> None:
        """One line on the stream; on a terminal, transient lines replace each other in place."""
        if self._tty and transient:
            self.stream.write("\r\x1b[K" + text)
            self._open_line = True
        else:
            if self._open_line:
                self.stream.write("\r\x1b[K")
                self._open_line = False
            self.stream.write(text + "\n")
        self.stream.flush()
        self._last_output = time.perf_counter()

    # -- what the command line calls ------------------------------------------------------------
    def start_task(self, task: str) -> None:
        """Name the work that comes next (shown in the notice and the progress lines)."""
        with self._lock:
            self.task = task
            self._task_kernels = 0
            self._task_seconds = 0.0
            self._task_started = time.perf_counter()

    def done(self) -> None:
        """Close the current task before the caller prints its result: one line with what it
        compiled (nothing when it compiled nothing), and a terminal's progress line cleared."""
        with self._lock:
            if self._task_seconds > 0:
                self._write(f"  compiled {self._task_kernels} Numba kernels in {self._task_seconds:.1f} s"
                            f"{f' ({self.task})' if self.task else ''}")
            elif self._open_line:
                self.stream.write("\r\x1b[K")
                self.stream.flush()
                self._open_line = False
            self._task_kernels = 0
            self._task_seconds = 0.0
            self._task_started = self._last_output = time.perf_counter()

    def __enter__(self) -> CompileNotice:
        self._thread = threading.Thread(target=self._heartbeat, name="mlbasics-progress", daemon=True)
        self._thread.start()
        if "numba" not in sys.modules:
            return self
        try:
            from numba.core import event
        except ImportError:  # pragma: no cover - an old or unusual Numba: no notice
            return self
        notice = self

        class _Listener(event.Listener):
            def on_start(self, ev: Any) -> None:
                notice._on_start(ev)

            def on_end(self, ev: Any) -> None:
                notice._on_end(ev)

        self._listener = _Listener()
        event.register("numba:compile", self._listener)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._listener is not None:
            from numba.core import event

            event.unregister("numba:compile", self._listener)
            self._listener = None
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=1.0)
        with self._lock:
            if self._open_line:
                self.stream.write("\n")
                self.stream.flush()
                self._open_line = False
