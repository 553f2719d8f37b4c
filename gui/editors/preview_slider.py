"""A slider beside a number box: dragging previews the value, releasing commits it.

:class:`PreviewSlider` moves over a span of values, on a log scale where the hyper-parameter's
metadata says so (``HyperParameter.log_scale``: learning rates, eps) or linearly (momentum, betas,
alpha). It is kept in sync with its :class:`~gui.editors.number_spin_box.NumberSpinBox`: a typed
value moves the slider (silently), a dragged one shows in the box at once.

- While the handle is dragged, each move emits ``previewed(value)`` (the what-if ghost,
  gui.what_if) and nothing is committed.
- Releasing it emits ``committed(value)`` if the value changed: one change, one restart of the
  ball, as editing the box does; then ``previewEnded()``.
- Esc during the drag puts the value back, emits ``previewEnded()`` and ignores the rest of the
  drag; nothing is committed.
- A click on the groove or a key press (not a drag) commits at once, as a spin box arrow does.
  The wheel is left to the form's scroll area (a form scrolled past a slider must not edit it).

Values from the slider are rounded to three significant digits ("lr 0.0501", not 0.050118723).
"""

from __future__ import annotations

import math

from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtGui import QMouseEvent, QWheelEvent
from PyQt6.QtWidgets import QSlider, QWidget

from gui.editors.number_spin_box import UNBOUNDED, NumberSpinBox
from gui.what_if import EscapeCancels

#: Slider positions across its span.
TICKS = 1000
#: The span of a log slider (decades above its smallest value) when the range has no upper limit.
LOG_DECADES = 8.0


#: The slider's height (pixels) and look: a thin groove, filled up to a round handle.
SLIDER_HEIGHT = 12
SLIDER_STYLE = (
    "QSlider::groove:horizontal { height: 3px; background: palette(mid); border-radius: 1px; }"
    "QSlider::sub-page:horizontal { height: 3px; background: palette(highlight); border-radius: 1px; }"
    "QSlider::handle:horizontal { width: 12px; margin: -5px 0; border-radius: 6px;"
    " background: palette(button); border: 1px solid palette(dark); }"
    "QSlider::handle:horizontal:hover, QSlider::handle:horizontal:focus { border: 2px solid palette(highlight); }"
    "QSlider::handle:horizontal:disabled { background: palette(window); }"
)


def rounded(value: float) -> float:
    """``value`` to three significant digits."""
    return float(f"{value:.3g}")


class PreviewSlider(QSlider):
    """A horizontal slider for one number (see the module docstring).

    Args:
        box: the number box it mirrors (its range bounds the values).
        log_scale: move along log10 of the value.
        span: (low, high) the slider covers (default: the box's range; for a log scale from the
            smallest positive value, and LOG_DECADES decades up from it when the box has no upper
            limit); a box value outside it puts the handle at the end. With a log scale and a box
            minimum of 0, the leftmost position is 0.

    Signals:
        previewed(float), committed(float), previewEnded().
    """

    previewed = pyqtSignal(float)
    committed = pyqtSignal(float)
    previewEnded = pyqtSignal()

    def __init__(self, box: NumberSpinBox, log_scale: bool = False, span: tuple[float, float] | None = None,
                 parent: QWidget | None = None):
        super().__init__(Qt.Orientation.Horizontal, parent)
        self.box = box
        self.log_scale = log_scale
        low, high = span if span is not None else (box.minimum(), box.maximum())
        self.zero_at_left = log_scale and box.minimum() <= 0.0
        if log_scale:
            low = low if low > 0 else (box.smallest if box.smallest > 0 else 1e-3)
            if span is None and high == UNBOUNDED:  # (the box's stand-in for no upper limit)
                high = low * 10.0 ** LOG_DECADES
        self.low, self.high = float(low), float(high)
        self.setRange(0, TICKS)
        self.setPageStep(TICKS // 20)
        self.setSingleStep(TICKS // 200)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMinimumWidth(70)
        # Thin, so a form's rows grow little under their boxes (the ball form must still show the
        # noise at 1600 x 900); the handle stays wide enough to grab.
        self.setFixedHeight(SLIDER_HEIGHT)
        self.setStyleSheet(SLIDER_STYLE)
        self._before: float | None = None   # the value when the drag began
        self._cancelled = False
        self._escape = EscapeCancels(self.cancel_drag, self)
        self.show_value(box.value())
        box.valueChanged.connect(self.show_value)
        self.sliderPressed.connect(self._on_pressed)
        self.sliderReleased.connect(self._on_released)
        self.valueChanged.connect(self._on_value)

    # -- value <-> position ---------------------------------------------------------------------
    def value_at(self, position: int) -> float:
        """The (rounded, in-range) value at slider ``position``."""
        t = min(max(position / TICKS, 0.0), 1.0)
        if self.log_scale:
            if self.zero_at_left and position <= 0:
                return 0.0
            value = 10.0 ** (math.log10(self.low) + t * (math.log10(self.high) - math.log10(self.low)))
        else:
            value = self.low + t * (self.high - self.low)
        return min(max(rounded(value), self.box.minimum()), self.box.maximum())

    def position_of(self, value: float) -> int:
        """The slider position nearest ``value`` (an end for a value beyond the span)."""
        if self.log_scale:
            if value <= 0.0:
                return 0
            t = (math.log10(value) - math.log10(self.low)) / (math.log10(self.high) - math.log10(self.low))
        else:
            t = (value - self.low) / (self.high - self.low) if self.high > self.low else 0.0
        return int(round(min(max(t, 0.0), 1.0) * TICKS))

    def show_value(self, value: float) -> None:
        """Put the handle at ``value`` without announcing anything (the box changed)."""
        if self.isSliderDown():
            return
        self.blockSignals(True)
        self.setValue(self.position_of(float(value)))
        self.blockSignals(False)

    # -- dragging ---------------------------------------------------------------------------------
    @property
    def dragging(self) -> bool:
        return self._before is not None

    def _on_pressed(self) -> None:
        self._before = float(self.box.value())
        self._cancelled = False
        self._escape.install()

    def _on_value(self, position: int) -> None:
        value = self.value_at(position)
        if self._cancelled:
            return
        if self.isSliderDown():
            self._show_in_box(value)
            self.previewed.emit(value)
            return
        # A click on the groove or a key: a committed edit, as the box's arrows make.
        if value != self.box.value():
            self._show_in_box(value)
            self.committed.emit(value)

    def _on_released(self) -> None:
        before, self._before = self._before, None
        self._escape.remove()
        if self._cancelled:
            return
        value = self.value_at(self.value())
        if before is not None and value != before:
            self._show_in_box(value)
            self.committed.emit(value)
        self.previewEnded.emit()

    def cancel_drag(self) -> None:
        """Esc: the value goes back to what it was before the drag; nothing is committed."""
        if self._before is None:
            return
        before = self._before
        self._cancelled = True
        self._escape.remove()
        self._show_in_box(before)
        self.blockSignals(True)
        self.setValue(self.position_of(before))
        self.blockSignals(False)
        self.previewEnded.emit()

    def _show_in_box(self, value: float) -> None:
        self.box.blockSignals(True)
        self.box.setValue(value)
        self.box.blockSignals(False)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 (Qt override)
        if self._cancelled:
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802 (Qt override)
        if self._cancelled:
            # Let QSlider end its drag, silently; the handle stays where Esc put it back.
            position = self.position_of(self._before if self._before is not None else self.box.value())
            self.blockSignals(True)
            super().mouseReleaseEvent(event)
            self.setValue(position)
            self.blockSignals(False)
            self._cancelled = False
            self._before = None
            return
        super().mouseReleaseEvent(event)

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802 (Qt override)
        event.ignore()
