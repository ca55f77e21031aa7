"""Say so while Numba compiles: the command line's notice for a first run on a cold cache.

The Numba backend's kernels are ``@njit(cache=True)``: the first call of each on a new machine
(or after an upgrade) compiles it — tens of seconds for the whole main job — and later runs load
it from the on-disk cache in milliseconds. :class:`CompileNotice` listens to Numba's
``"numba:compile"`` event (``numba.core.event``), which fires only on a real compilation, never
on a cache hit, so a warm run prints nothing. On the first compilation it writes::

    compiling Numba kernels (first run only, cached afterwards)… LinearRegression on diabetes

then, while compiling goes on, a progress line every few seconds (rewritten in place on a
terminal), and :meth:`CompileNotice.done` closes a task with how many kernels it compiled and
how long that took. Everything goes to ``stream`` (stderr in ``__main__``), so ``--json``
output stays machine-readable.
"""
from __future__ import annotations

import sys
import threading
import time
from typing import Any, Optional, TextIO

__all__ = ["CompileNotice"]

MESSAGE = "compiling Numba kernels (first run only, cached afterwards)…"


class CompileNotice:
    """Context manager: announce Numba compilations on ``stream`` with progress.

    Parameters
    ----------
    stream : file-like, optional
        Where the notice goes (default ``sys.stderr``).
    interval : float, default 2.0
        Seconds between progress lines while a compilation runs (a terminal gets its line
        rewritten four times as often).

    Notes
    -----
    Does nothing when Numba is not imported by the time the context is entered (the run uses no
    Numba kernel) or when its event API is missing.
    """

    def __init__(self, stream: Optional[TextIO] = None, interval: float = 2.0) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.interval = float(interval)
        self.task = ""
        self.kernels = 0            # mlbasics kernels compiled since entering (nested ones too)
        self.seconds = 0.0          # wall time spent in top-level compilations since entering
        self._task_kernels = 0
        self._task_seconds = 0.0
        self._depth = 0
        self._started_at = 0.0
        self._announced = False
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = False
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
            self._started_at = time.perf_counter()
            if not self._announced:
                self._announced = True
                self._write(f"{MESSAGE} {self.task}".rstrip())
            if self._thread is None:
                self._thread = threading.Thread(target=self._heartbeat, name="mlbasics-compile-notice",
                                                daemon=True)
                self._thread.start()
            self._wake.set()

    def _on_end(self, event: Any) -> None:
        with self._lock:
            self._depth -= 1
            dispatcher = getattr(event, "data", {}).get("dispatcher")
            module = getattr(getattr(dispatcher, "py_func", None), "__module__", "") or ""
            if module.startswith("mlbasics."):
                self.kernels += 1
                self._task_kernels += 1
            if self._depth == 0:
                spent = time.perf_counter() - self._started_at
                self.seconds += spent
                self._task_seconds += spent

    def _heartbeat(self) -> None:
        tick = self.interval / 4 if self._tty else self.interval
        while not self._stop:
            self._wake.wait()
            if self._stop:
                return
            time.sleep(tick)
            with self._lock:
                if self._stop:
                    return
                if self._depth == 0:
                    self._wake.clear()
                    continue
                running = self._task_seconds + time.perf_counter() - self._started_at
                self._write(f"  … {self._task_kernels} kernels compiled, {running:.0f} s"
                            f"{f' ({self.task})' if self.task else ''}", transient=True)

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

    # -- what the command line calls ------------------------------------------------------------
    def start_task(self, task: str) -> None:
        """Name the work that may compile next (shown in the notice and the progress lines)."""
        with self._lock:
            self.task = task
            self._task_kernels = 0
            self._task_seconds = 0.0

    def done(self) -> None:
        """Close the current task: one line with what it compiled (nothing when it compiled nothing)."""
        with self._lock:
            if self._task_seconds > 0:
                self._write(f"  compiled {self._task_kernels} Numba kernels in {self._task_seconds:.1f} s"
                            f"{f' ({self.task})' if self.task else ''}")
            self._task_kernels = 0
            self._task_seconds = 0.0

    def __enter__(self) -> CompileNotice:
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
        with self._lock:
            self._stop = True
            self._wake.set()
            if self._open_line:
                self.stream.write("\n")
                self.stream.flush()
                self._open_line = False
        if self._thread is not None:
            self._thread.join(timeout=1.0)
