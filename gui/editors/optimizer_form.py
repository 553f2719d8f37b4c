"""The optimiser chooser and the hyper-parameter form generated from the registry's metadata.

Nothing here knows a particular optimiser: the combo box lists ``physics.optimizers.base.registry()``
grouped by family, and :class:`HyperParameterForm` makes one editor per ``HyperParameter`` of the
chosen spec (a :class:`NumberSpinBox` for floats, log-stepping where ``log_scale``; a spin box for
ints; a check box for bools; two number boxes for pairs), each limited to the metadata's range,
so an invalid value cannot be entered. The description is the tooltip. Every number box has a
slider under it (gui.editors.preview_slider, log-scale where ``log_scale``): dragging it previews
the ball under the value (``valuePreviewed``), releasing commits it (``valueChanged``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from PyQt6.QtCore import QModelIndex, Qt, pyqtSignal
from PyQt6.QtGui import QFont, QStandardItem, QStandardItemModel
from PyQt6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QSpinBox,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from gui.editors.elided_label import ElidedLabel
from gui.editors.field_grid import FieldGrid
from gui.editors.number_spin_box import NumberSpinBox
from gui.editors.preview_slider import PreviewSlider
from physics.optimizers.base import HyperParameter, OptimizerSpec, registry

#: Family headings of the optimiser menu, in the order they are listed.
FAMILY_TITLES = {
    "first-order": "First order",
    "adaptive-rate": "Adaptive learning rate",
    "second-order": "Second order (uses the Hessian)",
    "quasi-newton": "Quasi-Newton and conjugate gradient",
}
INT_LIMIT = 2**31 - 1
#: The sliders' tooltip.
SLIDER_TIP = "Drag to see where the ball would go (a dashed what-if path on the map); release to apply, Esc to cancel"
#: A hyper-parameter whose name is wider than this (pixels) gets a row of its own.
LONG_LABEL_WIDTH = 110


def grouped_specs(specs: Mapping[str, OptimizerSpec] | None = None) -> list[tuple[str, list[OptimizerSpec]]]:
    """The registry's specs grouped by family (known families first, in registration order within)."""
    specs = registry() if specs is None else specs
    families: dict[str, list[OptimizerSpec]] = {family: [] for family in FAMILY_TITLES}
    for spec in specs.values():
        families.setdefault(spec.family, []).append(spec)
    return [(family, members) for family, members in families.items() if members]


class OptimizerCombo(QComboBox):
    """Every registered optimiser, under a heading per family; ``current_name`` is the chosen one."""

    optimizerChosen = pyqtSignal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        model = QStandardItemModel(self)
        heading_font = QFont(self.font())
        heading_font.setBold(True)
        for family, specs in grouped_specs():
            heading = QStandardItem(FAMILY_TITLES.get(family, family.replace("-", " ").capitalize()))
            heading.setFlags(Qt.ItemFlag.NoItemFlags)  # a heading, not a choice
            heading.setFont(heading_font)
            model.appendRow(heading)
            for spec in specs:
                item = QStandardItem(spec.display_name)
                item.setData(spec.name, Qt.ItemDataRole.UserRole)
                item.setToolTip(_spec_tooltip(spec))
                model.appendRow(item)
        self.setModel(model)
        self.view().setItemDelegate(_IndentedChoices(self.view()))
        self.setMaxVisibleItems(30)
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.currentIndexChanged.connect(self._on_index)

    @property
    def current_name(self) -> str | None:
        return self.currentData(Qt.ItemDataRole.UserRole)

    def set_current_name(self, name: str) -> None:
        """Select ``name`` without announcing it."""
        index = self.findData(name, Qt.ItemDataRole.UserRole)
        if index >= 0 and index != self.currentIndex():
            self.blockSignals(True)
            self.setCurrentIndex(index)
            self.blockSignals(False)
        if index >= 0:
            self.setToolTip(self.itemData(index, Qt.ItemDataRole.ToolTipRole))

    def _on_index(self, index: int) -> None:
        name = self.itemData(index, Qt.ItemDataRole.UserRole)
        if name is not None:
            self.setToolTip(self.itemData(index, Qt.ItemDataRole.ToolTipRole))
            self.optimizerChosen.emit(name)


class _IndentedChoices(QStyledItemDelegate):
    """Draws the choices of the open menu indented under their family headings."""

    def initStyleOption(self, option: QStyleOptionViewItem, index: QModelIndex) -> None:  # noqa: N802 (Qt override)
        super().initStyleOption(option, index)
        if index.data(Qt.ItemDataRole.UserRole) is not None:
            option.text = "      " + option.text


def _spec_tooltip(spec: OptimizerSpec) -> str:
    lines = [spec.display_name]
    if spec.description:
        lines.append(spec.description)
    if spec.reference:
        lines.append(f"Reference: {spec.reference}")
    return "\n".join(lines)


class HyperParameterForm(QWidget):
    """One editor per hyper-parameter of an optimiser spec; ``valueChanged(name, value)`` on edits."""

    valueChanged = pyqtSignal(str, object)
    #: A slider is dragged: (name, value being tried); the drag is over (released or Esc).
    valuePreviewed = pyqtSignal(str, object)
    previewEnded = pyqtSignal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._layout = FieldGrid(self)
        self.spec: OptimizerSpec | None = None
        self.editors: dict[str, Any] = {}

    def set_spec(self, spec: OptimizerSpec, values: Mapping[str, Any]) -> None:
        """Show ``spec``'s hyper-parameters with ``values`` (a complete settings dict).

        Two to a row, in the spec's order; a pair of numbers (Adam's betas) or a long name takes a
        whole row, after the half row it would have left empty is filled by the next one.
        """
        if self.spec is not None and self.spec.name == spec.name:
            self.set_values(values)
            return
        self._layout.clear()
        self.spec = spec
        self.editors = {}
        waiting: list[tuple[QLabel, QWidget]] = []  # wide rows held back until the half row is filled
        for parameter in spec.hyperparameters:
            editor = _make_editor(parameter)
            self.editors[parameter.name] = editor
            label = QLabel(parameter.name)
            label.setToolTip(parameter.description)
            editor.widget.setToolTip(parameter.description)
            editor.widget.setAccessibleName(parameter.name)
            editor.set(values.get(parameter.name, parameter.default))
            editor.changed.connect(lambda value, n=parameter.name: self.valueChanged.emit(n, value))
            editor.previewed.connect(lambda value, n=parameter.name: self.valuePreviewed.emit(n, value))
            editor.previewEnded.connect(self.previewEnded.emit)
            if parameter.kind == "pair" or label.sizeHint().width() > LONG_LABEL_WIDTH:
                waiting.append((label, editor.widget))
            else:
                self._layout.add_pair(label, editor.widget)
            if not self._layout.half_row_open:
                for held in waiting:
                    self._layout.add_pair(*held, wide=True)
                waiting.clear()
        for held in waiting:
            self._layout.add_pair(*held, wide=True)
        if not spec.hyperparameters:
            self._layout.add_row(QLabel("This method has no hyper-parameters."))

    def set_values(self, values: Mapping[str, Any]) -> None:
        """Show new values without announcing them."""
        for name, editor in self.editors.items():
            if name in values:
                editor.set(values[name])

    def values(self) -> dict[str, Any]:
        return {name: editor.get() for name, editor in self.editors.items()}


class _Editor(QWidget):
    """Base of the editors: each kind adds ``set(value)`` (silent) and ``get()``; edits emit ``changed``.

    Editors of numbers have sliders: while one is dragged ``previewed(value)`` tells the value
    being tried (nothing is committed), ``previewEnded()`` that the drag is over (after
    ``changed`` if its release committed a new value).
    """

    changed = pyqtSignal(object)
    previewed = pyqtSignal(object)
    previewEnded = pyqtSignal()

    @property
    def widget(self) -> QWidget:
        return self


class _FloatEditor(_Editor):
    """A number box with a slider under it (gui.editors.preview_slider): dragging previews, release commits."""

    def __init__(self, parameter: HyperParameter):
        super().__init__()
        self.box = NumberSpinBox(parameter.minimum, parameter.maximum, log_scale=parameter.log_scale)
        self.slider = PreviewSlider(self.box, log_scale=parameter.log_scale)
        self.slider.setAccessibleName(f"{parameter.name} slider")
        self.slider.setToolTip(SLIDER_TIP)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.box)
        layout.addWidget(self.slider)
        self.box.valueChanged.connect(lambda value: self.changed.emit(float(value)))
        self.slider.committed.connect(lambda value: self.changed.emit(float(value)))
        self.slider.previewed.connect(lambda value: self.previewed.emit(float(value)))
        self.slider.previewEnded.connect(self.previewEnded.emit)
        self.setFocusProxy(self.box)

    def set(self, value: Any) -> None:
        if float(value) != self.box.value():
            self.box.blockSignals(True)
            self.box.setValue(float(value))
            self.box.blockSignals(False)
            self.slider.show_value(self.box.value())

    def get(self) -> float:
        return float(self.box.value())


class _IntEditor(_Editor):
    def __init__(self, parameter: HyperParameter):
        super().__init__()
        self.box = QSpinBox()
        self.box.setRange(int(max(parameter.minimum, -INT_LIMIT)), int(min(parameter.maximum, INT_LIMIT)))
        self.box.setKeyboardTracking(False)
        self.box.setStepType(QSpinBox.StepType.AdaptiveDecimalStepType)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.box)
        self.box.valueChanged.connect(lambda value: self.changed.emit(int(value)))
        self.setFocusProxy(self.box)

    def set(self, value: Any) -> None:
        if int(value) != self.box.value():
            self.box.blockSignals(True)
            self.box.setValue(int(value))
            self.box.blockSignals(False)

    def get(self) -> int:
        return int(self.box.value())


class _BoolEditor(_Editor):
    def __init__(self, parameter: HyperParameter):
        super().__init__()
        self.box = QCheckBox()
        caption = ElidedLabel(_short(parameter.description))
        caption.setBuddy(self.box)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.box)
        layout.addWidget(caption, 1)
        self.box.toggled.connect(lambda checked: self.changed.emit(bool(checked)))
        self.setFocusProxy(self.box)

    def set(self, value: Any) -> None:
        if bool(value) != self.box.isChecked():
            self.box.blockSignals(True)
            self.box.setChecked(bool(value))
            self.box.blockSignals(False)

    def get(self) -> bool:
        return self.box.isChecked()


class _PairEditor(_Editor):
    """Two number boxes, each with its slider under it (dragging previews the pair, release commits)."""

    def __init__(self, parameter: HyperParameter):
        super().__init__()
        self.boxes = [NumberSpinBox(parameter.minimum, parameter.maximum, log_scale=parameter.log_scale)
                      for _ in range(2)]
        self.sliders = [PreviewSlider(box, log_scale=parameter.log_scale) for box in self.boxes]
        layout = QGridLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setVerticalSpacing(0)
        for column, (box, slider) in enumerate(zip(self.boxes, self.sliders, strict=True)):
            slider.setAccessibleName(f"{parameter.name}[{column}] slider")
            slider.setToolTip(SLIDER_TIP)
            layout.addWidget(box, 0, column)
            layout.addWidget(slider, 1, column)
            box.valueChanged.connect(lambda _value: self.changed.emit(self.get()))
            slider.committed.connect(lambda _value: self.changed.emit(self.get()))
            slider.previewed.connect(lambda _value: self.previewed.emit(self.get()))
            slider.previewEnded.connect(self.previewEnded.emit)
        self.setFocusProxy(self.boxes[0])

    def set(self, value: Any) -> None:
        for box, slider, element in zip(self.boxes, self.sliders, value, strict=True):
            if float(element) != box.value():
                box.blockSignals(True)
                box.setValue(float(element))
                box.blockSignals(False)
                slider.show_value(box.value())

    def get(self) -> tuple[float, float]:
        return (float(self.boxes[0].value()), float(self.boxes[1].value()))


_EDITORS = {"float": _FloatEditor, "int": _IntEditor, "bool": _BoolEditor, "pair": _PairEditor}


def _make_editor(parameter: HyperParameter) -> _Editor:
    return _EDITORS.get(parameter.kind, _FloatEditor)(parameter)


def _short(description: str) -> str:
    """The part of a description before its first colon: a check box's caption."""
    return description.split(":")[0].strip() if description else ""
