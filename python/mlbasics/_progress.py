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
from typing import Any, Literal, Optional

__all__ = ["Progress", "format_value", "check_callback"]


def format_value(x: float) -> str:
    """How the progress line shows a loss or score: 4 significant digits (``f"{x:.4g}"``).

    Parameters
    ----------
    x : float
        A loss or score (anything ``float()`` accepts).

    Returns
    -------
    str

    Examples
    --------
    >>> from mlbasics._progress import format_value
    >>> format_value(0.123456), format_value(12345.6)
    ('0.1235', '1.235e+04')
    """
    return f"{float(x):.4g}"


def check_callback(callback: object) -> None:
    """TypeError naming ``callback`` unless it is None or callable.

    Parameters
    ----------
    callback : callable or None
        The estimator's ``callback`` parameter, called as ``callback(epoch, loss, estimator)``.

    Raises
    ------
    TypeError
        If ``callback`` is neither None nor callable.

    Examples
    --------
    >>> from mlbasics._progress import check_callback
    >>> check_callback(None)
    >>> check_callback(print)
    >>> check_callback(3)
    Traceback (most recent call last):
        ...
    TypeError: callback: expected None or a callable (epoch, loss, estimator), got int
    """
    if callback is not None and not callable(callback):
        raise TypeError(f"callback: expected None or a callable (epoch, loss, estimator), "
                        f"got {type(callback).__name__}")


def _tqdm_class() -> Optional[type]:
    """tqdm.tqdm without its monitor thread (we update by hand), or None if tqdm is missing."""
    try:
        from tqdm import tqdm
    except ImportError:
        return None

    class _Bar(tqdm):
        monitor_interval = 0

    return _Bar


class Progress:
    """A progress bar over ``total`` steps named ``desc``; does nothing unless ``enabled``.

    Parameters
    ----------
    total : int
        The number of steps expected (e.g. ``max_iter``); training may stop earlier.
    desc : str
        The name shown in front of the bar (usually the estimator's class name).
    enabled : bool
        If False, every method returns at once (the ``verbose=False`` case).
    unit : str, default="epoch"
        What one step is called.

    Attributes
    ----------
    n : int
        Steps done so far.

    Examples
    --------
    >>> from mlbasics._progress import Progress
    >>> with Progress(total=3, desc="demo", enabled=False) as bar:
    ...     for loss in (0.9, 0.5, 0.2):
    ...         bar.update(loss)
    >>> bar.n  # disabled: nothing is shown or counted
    0
    """

    def __init__(self, total: int, desc: str, enabled: bool, unit: str = "epoch") -> None:
        self.total, self.desc, self.enabled, self.unit = int(total), desc, bool(enabled), unit
        self.n = 0
        self._bar: Any = None
        self._width = 0  # length of the fallback's last line, to blank it out when it shrinks

    def __enter__(self) -> Progress:
        if self.enabled:
            bar_class = _tqdm_class()
            if bar_class is not None:
                self._bar = bar_class(total=self.total, desc=self.desc, unit=self.unit, file=sys.stderr,
                                      leave=True, dynamic_ncols=True)
        return self

    def __exit__(self, *exc: object) -> Literal[False]:
        self.close()
        return False

    def update(self, loss: float, val_score: Optional[float] = None) -> None:
        """One more step done; show its ``loss`` (and ``val_score``, if given).

        Parameters
        ----------
        loss : float
            The step's training loss.
        val_score : float, optional
            The step's validation score, when the estimator keeps one.
        """
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

    def write(self, message: str) -> None:
        """A message on its own line (e.g. why training stopped): above the tqdm bar, or after
        the fallback's current line.

        Parameters
        ----------
        message : str
            The text, without a trailing newline.
        """
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

    def close(self) -> None:
        """End the display (a newline after the fallback's line) and disable the object."""
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

    def _write_line(self, line: str) -> None:
        pad = " " * max(0, self._width - len(line))
        sys.stderr.write("\r" + line + pad)
        sys.stderr.flush()
        self._width = len(line)
