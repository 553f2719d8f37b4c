"""Sliders for the named parameters of a formula (``a`` and ``b`` in ``a*x^2 + b*y^2``).

Each parameter gets a slider and a spin box. The slider spans [-5, 5] by default, widened to a
symmetric "nice" range (1, 2 or 5 times a power of ten) with room around the value; the spin box
accepts any value within ±1e6 and widens the slider when it leaves the range.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtWidgets import QDoubleSpinBox, QGridLayout, QLabel, QSlider, QWidget

#: Slider positions across the range: 0.01 resolution on the default [-5, 5].
SLIDER_STEPS = 1000
DEFAULT_HALF_RANGE = 5.0
SPIN_LIMIT = 1e6


def nice_half_range(value: float, minimum: float = DEFAULT_HALF_RANGE) -> float:
    """The smallest 1, 2 or 5 times a power of ten >= ``minimum`` and >= 1.5 |value|.

    The factor leaves the slider room on both sides of the value (a value is never at an end).
    """
    magnitude = max(1.5 * abs(value), minimum)
    exponent = math.floor(math.log10(magnitude))
    for mantissa in (1.0, 2.0, 5.0, 10.0):
        candidate = mantissa * 10.0 ** exponent
        if candidate >= magnitude * (1 - 1e-12):
            return candidate
    return 10.0 ** (exponent + 1)


class ParameterRow:
    """The slider and spin box of one parameter (a row of :class:`ParameterSliders`)."""

    def __init__(self, name: str, value: float, owner: ParameterSliders):
        self.name = name
        self.owner = owner
        self.label = QLabel(name)
        self.label.setToolTip(f"parameter {name} of the formula: moving it changes the surface under the running balls")
        font = self.label.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.15)
        self.label.setFont(font)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, SLIDER_STEPS)
        self.slider.setMinimumWidth(160)
        self.slider.setAccessibleName(f"parameter {name}")
        self.spin = QDoubleSpinBox()
        self.spin.setRange(-SPIN_LIMIT, SPIN_LIMIT)
        self.spin.setDecimals(3)
        self.spin.setKeyboardTracking(False)
        self.spin.setMinimumWidth(90)
        self.spin.setAccessibleName(f"value of parameter {name}")
        self.half_range = nice_half_range(value)
        self._apply_range()
        self.set_value(value)
        self.slider.valueChanged.connect(self._on_slider)
        self.spin.valueChanged.connect(self._on_spin)

    @property
    def value(self) -> float:
        return self.spin.value()

    def set_value(self, value: float) -> None:
        """Show ``value`` without announcing it (it came from the surface)."""
        if abs(value) > self.half_range:
            self.half_range = nice_half_range(value)
            self._apply_range()
        self.spin.blockSignals(True)
        self.slider.blockSignals(True)
        self.spin.setValue(value)
        self.slider.setValue(self._position(value))
        self.spin.blockSignals(False)
        self.slider.blockSignals(False)

    def _apply_range(self) -> None:
        step = 2 * self.half_range / SLIDER_STEPS
        self.spin.setSingleStep(step)
        self.slider.setToolTip(f"{self.name} from {-self.half_range:g} to {self.half_range:g}")

    def _position(self, value: float) -> int:
        fraction = (value + self.half_range) / (2 * self.half_range)
        return round(min(max(fraction, 0.0), 1.0) * SLIDER_STEPS)

    def _on_slider(self, position: int) -> None:
        value = -self.half_range + 2 * self.half_range * position / SLIDER_STEPS
        value = round(value, 6)  # 0.1 shows as 0.1, not 0.09999999999999964
        self.spin.blockSignals(True)
        self.spin.setValue(value)
        self.spin.blockSignals(False)
        self.owner.parameterChanged.emit(self.name, self.spin.value())

    def _on_spin(self, value: float) -> None:
        if abs(value) > self.half_range:
            self.half_range = nice_half_range(value)
            self._apply_range()
        self.slider.blockSignals(True)
        self.slider.setValue(self._position(value))
        self.slider.blockSignals(False)
        self.owner.parameterChanged.emit(self.name, value)


class ParameterSliders(QWidget):
    """One slider row per named parameter; emits ``parameterChanged(name, value)`` as they move."""

    parameterChanged = pyqtSignal(str, float)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._layout = QGridLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setHorizontalSpacing(10)
        self._layout.setColumnStretch(1, 1)
        self.rows: dict[str, ParameterRow] = {}

    def set_parameters(self, parameters: Sequence[tuple[str, float]]) -> None:
        """Show these (name, value) pairs: rebuild if the names changed, else update the values.

        A slider the user is dragging keeps its position (its value is on its way to the surface).
        """
        names = [name for name, _ in parameters]
        if names != list(self.rows):
            self._rebuild(parameters)
            return
        for name, value in parameters:
            row = self.rows[name]
            if not row.slider.isSliderDown() and not row.spin.hasFocus() and row.value != round(value, 3):
                row.set_value(value)

    def _rebuild(self, parameters: Sequence[tuple[str, float]]) -> None:
        for row in self.rows.values():
            for widget in (row.label, row.slider, row.spin):
                self._layout.removeWidget(widget)
                widget.hide()
                widget.deleteLater()
        self.rows = {}
        for index, (name, value) in enumerate(parameters):
            row = ParameterRow(name, value, self)
            self._layout.addWidget(row.label, index, 0)
            self._layout.addWidget(row.slider, index, 1)
            self._layout.addWidget(row.spin, index, 2)
            self.rows[name] = row
