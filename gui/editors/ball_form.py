"""The settings of one ball: optimiser and its hyper-parameters, noise, start, swarm, clipping.

:class:`BallForm` shows a ``BallSpec`` and, on every edit, emits the edited spec (a new frozen
value made with ``dataclasses.replace``); it never talks to the simulation itself. Ranges come
from the metadata (``HyperParameter.minimum/maximum``, ``physics.noise`` limits), so every value
it can emit is valid. Number fields have sliders (the hyper-parameters', the noise σ, the
clipping norm): dragging one emits ``specPreviewed(spec, label)`` for the what-if ghost and
commits nothing; releasing it commits (``specEdited``), then ``previewEnded``. Changing the
optimiser regenerates the hyper-parameter form and keeps the values the ball had set that the new
optimiser also has (and accepts).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtWidgets import QCheckBox, QComboBox, QHBoxLayout, QSpinBox, QVBoxLayout, QWidget

from gui.editors.elided_label import ElidedLabel
from gui.editors.field_grid import FieldGrid
from gui.editors.number_spin_box import NumberSpinBox, format_number
from gui.editors.optimizer_form import SLIDER_TIP, HyperParameterForm, OptimizerCombo
from gui.editors.preview_slider import PreviewSlider
from physics.noise import MAX_DECAY, MAX_SIGMA, SCHEDULES, NoiseSettings
from physics.optimizers.base import OptimizerSpec, get_optimizer
from surfaces.errors import DownhillError

MAX_PARTICLES = 100_000
MAX_SPREAD = 1e3
MAX_COORDINATE = 1e6
CLIP_RANGE = (1e-6, 1e6)
#: What the noise and clipping sliders cover (log scale; the noise slider's left end is 0).
SLIDER_SPAN = (0.01, 100.0)
CLIP_TIP = ("Gradient clipping by norm: a gradient longer than this is scaled down to it; "
            "for first-order methods only")

#: How each noise schedule reads in the form.
SCHEDULE_LABELS = {
    "constant": "constant σ",
    "inverse-sqrt": "σ / √(1 + decay·t)",
    "exponential": "σ · exp(−decay·t)",
}


def overrides(spec: OptimizerSpec, values: Mapping[str, Any]) -> tuple[tuple[str, Any], ...]:
    """The (name, value) pairs of ``values`` that differ from ``spec``'s defaults, in spec order."""
    defaults = spec.defaults()
    return tuple((h.name, values[h.name]) for h in spec.hyperparameters
                 if h.name in values and values[h.name] != defaults.get(h.name))


def carried_over(old: Mapping[str, Any], new_spec: OptimizerSpec) -> dict[str, Any]:
    """The ball's own settings (overrides) that the new optimiser also has and accepts."""
    known = {h.name: h for h in new_spec.hyperparameters}
    kept: dict[str, Any] = {}
    for name, value in old.items():
        if name in known:
            try:
                kept[name] = known[name].validate(value)
            except DownhillError:
                continue  # out of the new method's range: its default applies
    return kept


class BallForm(QWidget):
    """Editors for every setting of one BallSpec.

    Signals:
        specEdited(BallSpec): the spec as the user just edited it.
    """

    specEdited = pyqtSignal(object)
    #: A slider is dragged: (the spec with the value being tried, a label such as "lr 0.05");
    #: the drag is over (released, after any specEdited, or cancelled with Esc).
    specPreviewed = pyqtSignal(object, str)
    previewEnded = pyqtSignal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.ball = None
        self.surface = None

        # Optimiser and its hyper-parameters.
        self.optimizer = OptimizerCombo()
        self.optimizer.setAccessibleName("optimiser")
        self.optimizer.optimizerChosen.connect(self._on_optimizer)
        self.description = ElidedLabel()
        self.description.setStyleSheet("color: palette(placeholder-text);")
        self.hyperparameters = HyperParameterForm()
        self.hyperparameters.valueChanged.connect(self._on_hyperparameter)
        self.hyperparameters.valuePreviewed.connect(self._on_hyperparameter_previewed)
        self.hyperparameters.previewEnded.connect(self.previewEnded.emit)
        self.clip_enabled = QCheckBox("clip ‖∇f‖ at")
        self.clip_enabled.setToolTip(CLIP_TIP)
        self.clip = NumberSpinBox(*CLIP_RANGE, log_scale=True)
        self.clip.setValue(1.0)
        self.clip.setAccessibleName("clipping norm")
        self.clip.setToolTip(CLIP_TIP)
        self.clip_enabled.toggled.connect(self._on_clip)
        self.clip.valueChanged.connect(lambda _value: self._on_clip())
        self.clip_slider = self._slider(self.clip, "clipping norm slider", SLIDER_SPAN,
                                        lambda value: replace(self.ball, clip=value), "clip")
        self.clip_slider.committed.connect(lambda _value: self._on_clip())

        # Noise.
        self.sigma = NumberSpinBox(0.0, MAX_SIGMA, log_scale=True, smallest=0.01)
        self.sigma.setAccessibleName("noise sigma")
        self.sigma.setToolTip("σ: standard deviation of the Gaussian noise added to each gradient component "
                              "(stochastic gradients); 0 for exact gradients")
        self.schedule = QComboBox()
        for name in SCHEDULES:
            self.schedule.addItem(SCHEDULE_LABELS.get(name, name), name)
        self.schedule.setToolTip("How σ shrinks with the step number t (annealing)")
        self.schedule.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.schedule.setMinimumContentsLength(6)
        self.decay = NumberSpinBox(0.0, MAX_DECAY, log_scale=True, smallest=1e-4)
        self.decay.setToolTip("The schedule's rate per step")
        self.batch_enabled = QCheckBox("batch")
        self.batch_size = QSpinBox()
        self.batch_size.setRange(1, 1)
        self.batch_size.setKeyboardTracking(False)
        self.sigma.valueChanged.connect(lambda _value: self._on_noise())
        self.sigma_slider = self._slider(self.sigma, "noise sigma slider", SLIDER_SPAN,
                                         lambda value: replace(self.ball, noise=replace(self.ball.noise, sigma=value)),
                                         "noise σ")
        self.sigma_slider.committed.connect(lambda _value: self._on_noise())
        self.schedule.currentIndexChanged.connect(lambda _index: self._on_noise())
        self.decay.valueChanged.connect(lambda _value: self._on_noise())
        self.batch_enabled.toggled.connect(lambda _checked: self._on_noise())
        self.batch_size.valueChanged.connect(lambda _value: self._on_noise())

        # Start and swarm.
        self.start_x = NumberSpinBox(-MAX_COORDINATE, MAX_COORDINATE, step=0.1)
        self.start_y = NumberSpinBox(-MAX_COORDINATE, MAX_COORDINATE, step=0.1)
        self.start_x.setAccessibleName("start x")
        self.start_y.setAccessibleName("start y")
        for box in (self.start_x, self.start_y):
            box.setToolTip("Where the ball starts (you can also drag its start on the map)")
            box.valueChanged.connect(lambda _value: self._on_start())
        self.particles = QSpinBox()
        self.particles.setRange(1, MAX_PARTICLES)
        self.particles.setStepType(QSpinBox.StepType.AdaptiveDecimalStepType)
        self.particles.setKeyboardTracking(False)
        self.particles.setToolTip("1 for a single ball; more for a swarm of independent particles, drawn as a cloud")
        self.particles.valueChanged.connect(lambda _value: self._on_swarm())
        self.spread = NumberSpinBox(0.0, MAX_SPREAD, step=0.05)
        self.spread.setToolTip("Standard deviation of the swarm's scatter around the start")
        self.spread.valueChanged.connect(lambda _value: self._on_swarm())

        # Two label-and-field pairs a row, in three groups a gap apart (see gui.editors.field_grid).
        grid = FieldGrid(self)
        grid.add_row(self.optimizer)
        grid.add_row(self.description)
        grid.add_row(self.hyperparameters)
        grid.add_gap()
        # The gradient the method sees, in the order the step makes it: noise, then clipping.
        grid.add_pair("noise σ", _stacked(self.sigma, self.sigma_slider))
        grid.add_pair("schedule", self.schedule)
        grid.setAlignment(self.schedule, Qt.AlignmentFlag.AlignTop)  # level with σ's box, above its slider
        grid.add_pair("decay", self.decay)
        grid.add_pair(self.batch_enabled, self.batch_size)
        clip_row = _row(self.clip_enabled, self.clip, stretch=True)
        clip_row.insertWidget(2, self.clip_slider, 1)
        grid.add_row(clip_row)
        grid.add_gap()
        grid.add_pair("start x", self.start_x)
        grid.add_pair("start y", self.start_y)
        grid.add_pair("particles", self.particles)
        grid.add_pair("spread", self.spread)
        grid.setRowStretch(grid.rowCount(), 1)
        self._silent = False
        self.setEnabled(False)

    # -- showing a ball ---------------------------------------------------------------------

    def set_ball(self, ball: object | None, surface: object | None = None) -> None:
        """Show ``ball`` (a BallSpec; None disables the form) on ``surface`` (for batch sizes)."""
        if surface is not None:
            self.surface = surface
        self.ball = ball
        self.setEnabled(ball is not None)
        if ball is None:
            return
        self._silent = True
        try:
            spec = get_optimizer(ball.optimizer)
            self.optimizer.set_current_name(spec.name)
            self.description.set_full_text(spec.description)
            self.hyperparameters.set_spec(spec, spec.settings(dict(ball.hyperparameters)))
            self.clip_enabled.setEnabled(spec.first_order)
            self.clip_enabled.setChecked(ball.clip is not None and spec.first_order)
            if ball.clip is not None:
                _set_silently(self.clip, ball.clip)
            self.clip.setEnabled(spec.first_order and ball.clip is not None)
            self.clip_slider.setEnabled(self.clip.isEnabled())
            self.clip_enabled.setToolTip(CLIP_TIP if spec.first_order else
                                         f"{CLIP_TIP}; {spec.display_name} is not one")
            self._show_noise(ball.noise)
            _set_silently(self.start_x, ball.start[0])
            _set_silently(self.start_y, ball.start[1])
            self._show_start_steps()
            _set_silently(self.particles, ball.particles)
            _set_silently(self.spread, ball.spread)
            self.spread.setEnabled(ball.particles > 1)
        finally:
            self._silent = False

    def set_surface(self, surface: object) -> None:
        """The surface changed: batch sizes and start steps depend on it."""
        self.surface = surface
        if self.ball is not None:
            self._silent = True
            try:
                self._show_noise(self.ball.noise)
                self._show_start_steps()
            finally:
                self._silent = False

    def _show_noise(self, noise: NoiseSettings) -> None:
        _set_silently(self.sigma, noise.sigma)
        index = self.schedule.findData(noise.schedule)
        self.schedule.blockSignals(True)
        self.schedule.setCurrentIndex(max(index, 0))
        self.schedule.blockSignals(False)
        _set_silently(self.decay, noise.decay)
        self.decay.setEnabled(noise.schedule != "constant")
        terms = self._term_count()
        finite_sum = terms > 1
        for widget in (self.batch_enabled, self.batch_size):
            widget.setEnabled(finite_sum)
        self.batch_size.blockSignals(True)
        self.batch_size.setRange(1, max(terms, 1))
        if noise.batch_size is not None:
            self.batch_size.setValue(noise.batch_size)
        self.batch_size.blockSignals(False)
        self.batch_enabled.blockSignals(True)
        self.batch_enabled.setChecked(noise.batch_size is not None and finite_sum)
        self.batch_enabled.blockSignals(False)
        self.batch_size.setEnabled(finite_sum and noise.batch_size is not None)
        if finite_sum:
            self.batch_size.setSuffix(f" of {terms}")
            tip = (f"Mini-batches: each step uses the gradient of a random batch of the surface's {terms} terms, "
                   "scaled to be unbiased: true stochastic-gradient noise")
        else:
            self.batch_size.setSuffix("")
            tip = "Mini-batches need a surface that is a sum of terms, such as the sigmoid-neuron loss"
        for widget in (self.batch_enabled, self.batch_size):
            widget.setToolTip(tip)

    def _term_count(self) -> int:
        surface = self.surface
        if surface is None or not surface.is_finite_sum:
            return 0
        return len(surface.terms)

    def _show_start_steps(self) -> None:
        if self.surface is None:
            return
        domain = self.surface.domain
        step = 10.0 ** math.floor(math.log10(max(domain.width, domain.height) / 50))
        for box in (self.start_x, self.start_y):
            box.setSingleStep(step)

    # -- edits ------------------------------------------------------------------------------

    def _emit(self, spec: object) -> None:
        if self._silent or self.ball is None or spec == self.ball:
            return
        self.ball = spec
        self.specEdited.emit(spec)

    def _on_optimizer(self, name: str) -> None:
        if self.ball is None or self._silent or name == self.ball.optimizer:
            return
        new_spec = get_optimizer(name)
        kept = carried_over(dict(self.ball.hyperparameters), new_spec)
        ball = replace(self.ball, optimizer=name, hyperparameters=overrides(new_spec, kept),
                       clip=self.ball.clip if new_spec.first_order else None)
        self.set_ball(ball)  # regenerate the form for the new method before announcing it
        self.specEdited.emit(ball)

    def _on_hyperparameter(self, name: str, value: Any) -> None:
        if self.ball is None or self._silent:
            return
        spec = get_optimizer(self.ball.optimizer)
        values = spec.settings(dict(self.ball.hyperparameters))
        values[name] = value
        self._emit(replace(self.ball, hyperparameters=overrides(spec, values)))

    def _slider(self, box: NumberSpinBox, name: str, span: tuple[float, float],
                spec_for: Callable[[float], object], label: str) -> PreviewSlider:
        """A slider for ``box``: dragging previews ``spec_for(value)`` labelled "``label`` value"."""
        slider = PreviewSlider(box, log_scale=True, span=span)
        slider.setAccessibleName(name)
        slider.setToolTip(SLIDER_TIP)
        slider.previewed.connect(lambda value: self._preview(spec_for(value), f"{label} {format_number(value)}"))
        slider.previewEnded.connect(self.previewEnded.emit)
        return slider

    def _preview(self, spec: object, label: str) -> None:
        if self.ball is not None and not self._silent:
            self.specPreviewed.emit(spec, label)

    def _on_hyperparameter_previewed(self, name: str, value: Any) -> None:
        if self.ball is None or self._silent:
            return
        spec = get_optimizer(self.ball.optimizer)
        values = spec.settings(dict(self.ball.hyperparameters))
        values[name] = value
        shown = (f"({format_number(value[0])}, {format_number(value[1])})" if isinstance(value, tuple)
                 else format_number(value))
        self._preview(replace(self.ball, hyperparameters=overrides(spec, values)), f"{name} {shown}")

    def _on_clip(self, *_args: object) -> None:
        if self.ball is None or self._silent:
            return
        enabled = self.clip_enabled.isChecked()
        self.clip.setEnabled(enabled)
        self.clip_slider.setEnabled(enabled)
        self._emit(replace(self.ball, clip=float(self.clip.value()) if enabled else None))

    def _on_noise(self) -> None:
        if self.ball is None or self._silent:
            return
        schedule = self.schedule.currentData()
        self.decay.setEnabled(schedule != "constant")
        batching = self.batch_enabled.isChecked() and self.batch_enabled.isEnabled()
        self.batch_size.setEnabled(batching)
        noise = NoiseSettings(sigma=float(self.sigma.value()), schedule=schedule, decay=float(self.decay.value()),
                              batch_size=int(self.batch_size.value()) if batching else None)
        self._emit(replace(self.ball, noise=noise))

    def _on_start(self) -> None:
        if self.ball is None or self._silent:
            return
        self._emit(replace(self.ball, start=(float(self.start_x.value()), float(self.start_y.value()))))

    def _on_swarm(self) -> None:
        if self.ball is None or self._silent:
            return
        particles = int(self.particles.value())
        self.spread.setEnabled(particles > 1)
        self._emit(replace(self.ball, particles=particles, spread=float(self.spread.value())))


def _set_silently(box: QWidget, value: float | int) -> None:
    if box.value() != value:
        box.blockSignals(True)
        box.setValue(value)
        box.blockSignals(False)


def _stacked(box: QWidget, slider: QWidget) -> QVBoxLayout:
    """A number box with its slider under it."""
    layout = QVBoxLayout()
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(0)
    layout.addWidget(box)
    layout.addWidget(slider)
    return layout


def _row(*widgets: QWidget, stretch: bool = False) -> QHBoxLayout:
    """The widgets side by side; number boxes share the width (or, with ``stretch``, the rest is left empty)."""
    layout = QHBoxLayout()
    layout.setContentsMargins(0, 0, 0, 0)
    for widget in widgets:
        layout.addWidget(widget, 1 if isinstance(widget, NumberSpinBox | QSpinBox) and not stretch else 0,
                         Qt.AlignmentFlag.AlignVCenter)
    if stretch:
        layout.addStretch(1)
    return layout
