"""The ball list and the per-ball form with the real SceneController."""

from __future__ import annotations

from dataclasses import replace

import pytest
from PyQt6.QtCore import Qt
from PyQt6.QtGui import QColor, QValidator
from PyQt6.QtWidgets import QLineEdit

from gui.editors.ball_form import carried_over, overrides
from gui.editors.ball_list import BallListEditor
from gui.editors.number_spin_box import NumberSpinBox, format_number, ladder_step
from gui.editors.optimizer_form import FAMILY_TITLES, grouped_specs
from physics.optimizers.base import get_optimizer, registry

BUILD_TIMEOUT = 20_000
CONTROLLER_SCENE = "saddle-noise"  # the conftest's controller fixture opens it


@pytest.fixture
def editor(show_widget, controller):
    return show_widget(BallListEditor(controller), 480, 820)


def select(editor, controller, index):
    editor.list.setCurrentRow(index)
    assert controller.selected == index


def test_the_list_shows_the_balls(editor, controller):
    assert editor.list.count() == len(controller.balls) >= 2
    for row, ball in enumerate(controller.balls):
        item = editor.list.item(row)
        assert item.text() == ball.name
        assert (item.checkState() == Qt.CheckState.Checked) == ball.visible
        assert get_optimizer(ball.optimizer).display_name in item.toolTip()


def test_selecting_a_row_selects_the_ball(editor, controller):
    select(editor, controller, 1)
    assert editor.form.ball == controller.balls[1]
    controller.select(0)
    assert editor.list.currentRow() == 0
    assert editor.form.ball == controller.balls[0]


def test_add_duplicate_remove(editor, controller):
    before = controller.balls
    editor.add_button.click()
    assert len(controller.balls) == len(before) + 1
    assert controller.balls[:len(before)] == before
    assert editor.list.count() == len(controller.balls)
    assert controller.selected == len(before)

    select(editor, controller, 0)
    editor.duplicate_button.click()
    copy = controller.balls[-1]
    assert len(controller.balls) == len(before) + 2
    assert copy.name != before[0].name
    assert copy.dynamics() == before[0].dynamics()

    select(editor, controller, 0)
    editor.remove_button.click()
    assert controller.balls[0] == before[1]
    assert len(controller.balls) == len(before) + 1
    assert editor.list.count() == len(controller.balls)


def same_row(first, second) -> bool:
    """Whether two widgets of a form stand side by side, the first on the left."""
    return (abs(first.geometry().center().y() - second.geometry().center().y()) <= 2
            and first.mapTo(first.window(), first.rect().topRight()).x()
            < second.mapTo(second.window(), second.rect().topLeft()).x())


def test_the_form_puts_two_settings_in_a_row(qtbot, editor, controller):
    form = editor.form
    controller.update_ball(0, replace(controller.balls[0], optimizer="adam", hyperparameters=()))
    select(editor, controller, 0)
    qtbot.waitUntil(lambda: form.hyperparameters.editors["lr"].widget.isVisible(), timeout=BUILD_TIMEOUT)
    editors = form.hyperparameters.editors
    assert same_row(editors["lr"].widget, editors["eps"].widget)  # betas, a pair, has a row of its own
    assert editors["betas"].widget.width() > 1.5 * editors["lr"].widget.width()
    assert same_row(editors["weight_decay"].widget, editors["amsgrad"].widget)
    for left, right in ((form.sigma, form.schedule), (form.decay, form.batch_size), (form.start_x, form.start_y),
                        (form.particles, form.spread)):
        assert same_row(left, right), (left.accessibleName(), right.accessibleName())
    # Short enough for the dock: every setting of Adam in about 12 rows.
    assert form.sizeHint().height() < 12 * 36


def test_the_list_grows_with_the_balls_up_to_four_rows(qtbot, editor, controller):
    assert len(controller.balls) == 2
    row = editor.list.sizeHintForRow(0)
    for count in (3, 4):
        editor.add_button.click()
        assert editor.list.count() == count
        # Every row shows without scrolling, and the form still has the rest of the height.
        qtbot.waitUntil(lambda: editor.list.verticalScrollBar().maximum() == 0, timeout=BUILD_TIMEOUT)
        assert editor.list.viewport().height() >= count * row
    editor.add_button.click()  # a fifth: the list scrolls rather than push the form away
    qtbot.waitUntil(lambda: editor.list.verticalScrollBar().maximum() > 0, timeout=BUILD_TIMEOUT)
    assert editor.list.viewport().height() < 5 * row


def test_rename_in_place(qtbot, editor, controller):
    select(editor, controller, 1)
    editor.rename_button.click()
    line = editor.list.findChild(QLineEdit)
    assert line is not None and line.isVisible()
    line.selectAll()
    qtbot.keyClicks(line, "Slow but sure")
    qtbot.keyClick(line, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: controller.balls[1].name == "Slow but sure", timeout=BUILD_TIMEOUT)
    editor.list.item(1).setText("   ")  # an empty name is refused and the old one comes back
    assert controller.balls[1].name == "Slow but sure"
    assert editor.list.item(1).text() == "Slow but sure"


def test_recolour(editor, controller):
    select(editor, controller, 0)
    asked = []

    def pick(initial, parent, title):
        asked.append((initial.name(), title))
        return QColor("#123456")

    editor.pick_color = pick
    old = controller.balls[0]
    editor.color_button.click()
    assert asked == [(old.color.lower(), f"Colour of {old.name}")]
    assert controller.balls[0].color == "#123456"
    editor.pick_color = lambda *_: QColor()  # cancelled: nothing changes
    editor.color_button.click()
    assert controller.balls[0].color == "#123456"


def test_hide_and_show(editor, controller):
    item = editor.list.item(0)
    item.setCheckState(Qt.CheckState.Unchecked)
    assert controller.balls[0].visible is False
    assert editor.list.item(0).font().italic()
    editor.list.item(0).setCheckState(Qt.CheckState.Checked)
    assert controller.balls[0].visible is True


def test_the_optimizer_combo_has_every_optimizer_grouped_by_family(editor):
    combo = editor.form.optimizer
    names = [combo.itemData(i, Qt.ItemDataRole.UserRole) for i in range(combo.count())]
    assert [n for n in names if n is not None] == [spec.name for _, specs in grouped_specs() for spec in specs]
    assert sorted(n for n in names if n is not None) == sorted(registry())
    headings = [combo.itemText(i) for i in range(combo.count()) if names[i] is None]
    assert headings[0] == FAMILY_TITLES["first-order"]
    assert len(headings) == len({spec.family for spec in registry().values()})


def test_changing_the_optimizer_regenerates_the_form(editor, controller):
    select(editor, controller, 0)
    controller.update_ball(0, replace(controller.balls[0], optimizer="gd", hyperparameters=()))
    combo = editor.form.optimizer
    combo.setCurrentIndex(combo.findData("adam", Qt.ItemDataRole.UserRole))
    ball = controller.balls[0]
    assert ball.optimizer == "adam"
    adam = get_optimizer("adam")
    form = editor.form.hyperparameters
    assert list(form.editors) == [h.name for h in adam.hyperparameters]
    assert form.values() == adam.defaults()
    assert form.editors["betas"].get() == (0.9, 0.999)
    assert ball.hyperparameters == ()


def test_changing_the_optimizer_keeps_the_values_that_still_apply(editor, controller):
    select(editor, controller, 0)
    controller.update_ball(0, replace(controller.balls[0], optimizer="sgd",
                                      hyperparameters=(("lr", 0.05), ("momentum", 0.5), ("nesterov", True)),
                                      clip=2.0))
    combo = editor.form.optimizer
    combo.setCurrentIndex(combo.findData("rmsprop", Qt.ItemDataRole.UserRole))
    ball = controller.balls[0]
    assert ball.optimizer == "rmsprop"
    assert dict(ball.hyperparameters) == {"lr": 0.05, "momentum": 0.5}  # nesterov does not apply
    assert ball.clip == 2.0
    combo.setCurrentIndex(combo.findData("newton", Qt.ItemDataRole.UserRole))
    ball = controller.balls[0]
    assert dict(ball.hyperparameters) == {"lr": 0.05}
    assert ball.clip is None  # clipping is for first-order methods
    assert not editor.form.clip_enabled.isEnabled()


def test_editing_lr_updates_the_ball(editor, controller):
    select(editor, controller, 0)
    box = editor.form.hyperparameters.editors["lr"].box
    spec = get_optimizer(controller.balls[0].optimizer)
    lr = next(h for h in spec.hyperparameters if h.name == "lr")
    assert (box.minimum(), box.maximum()) == (lr.minimum, lr.maximum)
    box.setValue(0.03)
    assert dict(controller.balls[0].hyperparameters)["lr"] == 0.03
    box.stepBy(1)  # log-scale: 0.03 -> 0.05
    assert dict(controller.balls[0].hyperparameters)["lr"] == pytest.approx(0.05)
    box.stepBy(-2)
    assert dict(controller.balls[0].hyperparameters)["lr"] == pytest.approx(0.02)


def test_noise_start_swarm_and_clip_edits(editor, controller):
    select(editor, controller, 0)
    form = editor.form
    form.sigma.setValue(0.25)
    assert controller.balls[0].noise.sigma == 0.25
    form.schedule.setCurrentIndex(form.schedule.findData("exponential"))
    assert controller.balls[0].noise.schedule == "exponential"
    assert form.decay.isEnabled()
    form.start_x.setValue(-0.5)
    form.start_y.setValue(0.75)
    assert controller.balls[0].start == (-0.5, 0.75)
    assert not form.spread.isEnabled()
    form.particles.setValue(500)
    assert controller.balls[0].particles == 500
    assert form.spread.isEnabled()
    form.spread.setValue(0.1)
    assert controller.balls[0].spread == 0.1
    if form.clip_enabled.isEnabled():
        form.clip_enabled.setChecked(True)
        form.clip.setValue(3.0)
        assert controller.balls[0].clip == 3.0
        form.clip_enabled.setChecked(False)
        assert controller.balls[0].clip is None


def test_batch_size_only_on_finite_sums(qtbot, editor, controller):
    select(editor, controller, 0)
    with qtbot.waitSignal(controller.surfaceChanged, timeout=BUILD_TIMEOUT):
        controller.set_formula("exp(x^2 + y^2)")
    assert not controller.surface.is_finite_sum
    assert not editor.form.batch_enabled.isEnabled()
    with qtbot.waitSignal(controller.surfaceChanged, timeout=BUILD_TIMEOUT):
        controller.set_formula("sigmoid-neuron")
    terms = len(controller.surface.terms)
    assert controller.surface.is_finite_sum and terms > 1
    form = editor.form
    assert form.batch_enabled.isEnabled()
    assert form.batch_size.maximum() == terms
    form.batch_enabled.setChecked(True)
    form.batch_size.setValue(2)
    assert controller.balls[0].noise.batch_size == 2
    form.batch_enabled.setChecked(False)
    assert controller.balls[0].noise.batch_size is None


def test_number_spin_box_shows_and_accepts_small_numbers(qtbot):
    box = NumberSpinBox(1e-16, 1.0, log_scale=True)
    qtbot.addWidget(box)
    box.setValue(1e-8)
    assert box.text() == "1e-8"
    assert box.value() == 1e-8
    assert box.validate("1e-", 3)[0] == QValidator.State.Intermediate
    assert box.validate("2e-9", 4)[0] == QValidator.State.Acceptable
    assert box.validate("5", 1)[0] == QValidator.State.Intermediate  # above the maximum
    assert box.validate("abc", 3)[0] == QValidator.State.Invalid
    assert box.validate("nan", 3)[0] == QValidator.State.Invalid


def test_ladder_and_format():
    assert ladder_step(0.01, 1, 1e-3) == pytest.approx(0.015)
    assert ladder_step(0.01, 3, 1e-3) == pytest.approx(0.03)
    assert ladder_step(0.007, 1, 1e-3) == pytest.approx(0.01)
    assert ladder_step(0.0, 1, 0.01) == 0.01
    assert ladder_step(0.01, -1, 0.01) == 0.0
    assert ladder_step(0.012, -1, 1e-3) == pytest.approx(0.01)
    assert format_number(1e-8) == "1e-8"
    assert format_number(0.999) == "0.999"
    assert format_number(1e10) == "1e10"
    assert format_number(250.0) == "250"


def test_overrides_and_carried_over():
    adam = get_optimizer("adam")
    assert overrides(adam, {**adam.defaults(), "lr": 0.1}) == (("lr", 0.1),)
    newton = get_optimizer("newton")
    # lr 5 is outside Newton's range [0.001, 2]: its default applies instead.
    assert carried_over({"lr": 5.0, "betas": (0.8, 0.9)}, newton) == {}
    assert carried_over({"lr": 0.5}, newton) == {"lr": 0.5}


def test_refused_edits_show_a_message_and_keep_the_ball(qtbot, editor, controller):
    with qtbot.waitSignal(controller.surfaceChanged, timeout=BUILD_TIMEOUT):
        controller.set_formula("log(x) + y^2")
    controller.update_ball(0, replace(controller.balls[0], start=(1.0, 0.5)))
    select(editor, controller, 0)
    editor.form.start_x.setValue(-1.0)  # log(-1) is undefined: no ball can start there
    assert controller.balls[0].start == (1.0, 0.5)
    assert not editor.message.isHidden()
    assert "start" in editor.message.text()
    assert editor.form.start_x.value() == 1.0  # the form shows what is live again
