"""Progress display for the iterative estimators (``verbose=True``) and their ``callback`` check.

``Progress(total, desc, enabled)`` is a context manager; the training loop calls
``update(loss=..., val_score=...)`` once per epoch (or solver iteration). When tqdm is
importable the bar is a ``tqdm.tqdm`` on ``sys.stderr`` with the loss (and validation score) as
its postfix; otherwise a plain fallback rewrites one line on stderr::

    MLPClassifier epoch 12/200 loss 0.1234 val 0.97

and ends it with a newline on close. tqdm is optional (the ``progress`` extra); it is imported
when a bar is opened, never at import time. A disabled Progress does nothing.
"""
from __future__ import annotations

import sys

__all__ = ["Progress", "format_value", "check_callback"]


def format_value(x) -> str:
    """How the progress line shows a loss or score: 4 significant digits (``f"{x:.4g}"``)."""
    return f"{float(x):.4g}"


def check_callback(callback):
    """TypeError naming ``callback`` unless it is None or callable."""
    if callback is not None and not callable(callback):
        raise TypeError(f"callback: expected None or a callable (epoch, loss, estimator), "
                        f"got {type(callback).__name__}")


def _tqdm_class():
    """tqdm.tqdm without its monitor thread (we update by hand), or None if tqdm is missing."""
    try:
        from tqdm import tqdm
    except ImportError:
        return None

    class _Bar(tqdm):
        monitor_interval = 0

    return _Bar


class Progress:
    """A progress bar over ``total`` steps named ``desc``; does nothing unless ``enabled``."""

    def __init__(self, total, desc, enabled, unit="epoch"):
        self.total, self.desc, self.enabled, self.unit = int(total), desc, bool(enabled), unit
        self.n = 0
        self._bar = None
        self._width = 0  # length of the fallback's last line, to blank it out when it shrinks

    def __enter__(self):
        if self.enabled:
            bar_class = _tqdm_class()
            if bar_class is not None:
                self._bar = bar_class(total=self.total, desc=self.desc, unit=self.unit, file=sys.stderr,
                                      leave=True, dynamic_ncols=True)
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def update(self, loss, val_score=None):
        """One more step done; show its ``loss`` (and ``val_score``, if given)."""
        if not self.enabled:
            return
        self.n += 1
        if self._bar is not None:
            postfix = {"loss": format_value(loss)}
            if val_score is not None:
                postfix["val"] = format_value(val_score)
            self._bar.set_postfix(postfix, refresh=False)
            self._bar.update(1)
            return
        line = f"{self.desc} {self.unit} {self.n}/{self.total} loss {format_value(loss)}"
        if val_score is not None:
            line += f" val {format_value(val_score)}"
        self._write_line(line)

    def write(self, message):
        """A message on its own line (e.g. why training stopped): above the tqdm bar, or after
        the fallback's current line."""
        if not self.enabled:
            return
        if self._bar is not None:
            self._bar.write(message, file=sys.stderr)
            return
        if self._width:  # keep the progress line as it is and start a new one
            sys.stderr.write("\n")
            self._width = 0
        sys.stderr.write(message + "\n")
        sys.stderr.flush()

    def close(self):
        if not self.enabled:
            return
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        elif self._width:
            sys.stderr.write("\n")
            sys.stderr.flush()
            self._width = 0
        self.enabled = False

    def _write_line(self, line):
        pad = " " * max(0, self._width - len(line))
        sys.stderr.write("\r" + line + pad)
        sys.stderr.flush()
        self._width = len(line)
