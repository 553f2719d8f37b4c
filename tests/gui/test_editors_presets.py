"""The presets gallery with the real SceneController: search, load a surface, load a scene."""

from __future__ import annotations

import html

import pytest

from gui.editors.presets_gallery import NAME_ROLE, NOTE_ROLE, TITLE_ROLE, PresetsGallery, matches, presets_menu
from physics.preset_scenes import PRESET_SCENES
from surfaces.presets import PRESETS

BUILD_TIMEOUT = 20_000
CONTROLLER_SCENE = "saddle-noise"  # the conftest's controller fixture opens it


@pytest.fixture
def gallery(show_widget, controller):
    return show_widget(PresetsGallery(controller), 440, 640)


def test_matches_every_word_in_any_order():
    assert matches("saddle MONKEY", "Monkey saddle: x^3 - 3xy^2")
    assert not matches("saddle plateau", "Monkey saddle")
    assert matches("", "anything")


def test_lists_every_preset_and_scene_with_its_note(gallery):
    assert gallery.surfaces.visible_names() == list(PRESETS)
    assert gallery.scenes.visible_names() == list(PRESET_SCENES)
    for row, (name, preset) in enumerate(PRESETS.items()):
        item = gallery.surfaces.item(row)
        assert item.data(NAME_ROLE) == name
        assert item.data(TITLE_ROLE) == preset.title
        assert item.data(NOTE_ROLE) == preset.note
        assert html.escape(preset.description) in item.toolTip()


def test_filter_by_text(qtbot, gallery):
    qtbot.keyClicks(gallery.search, "rosenbrock")
    assert gallery.surfaces.visible_names() == ["rosenbrock"]
    assert "rosenbrock-race" in gallery.scenes.visible_names()
    assert gallery.tabs.tabText(0) == f"Surfaces (1 of {len(PRESETS)})"
    gallery.search.clear()
    qtbot.keyClicks(gallery.search, "saddle")
    shown = gallery.surfaces.visible_names()
    assert {"saddle", "monkey-saddle", "saddle-between-minima"} <= set(shown)
    assert "bowl" not in shown and "rosenbrock" not in shown
    gallery.search.clear()
    qtbot.keyClicks(gallery.search, "no such preset at all")
    assert gallery.surfaces.visible_names() == [] and gallery.scenes.visible_names() == []
    assert not gallery.load_button.isEnabled()
    gallery.search.clear()
    assert gallery.surfaces.visible_names() == list(PRESETS)


def test_activating_a_surface_loads_it_with_its_domain_and_starts(qtbot, gallery, controller):
    qtbot.keyClicks(gallery.search, "himmelblau")
    item = next(gallery.surfaces.item(i) for i in range(gallery.surfaces.count())
                if not gallery.surfaces.item(i).isHidden())
    with qtbot.waitSignal(controller.surfaceChanged, timeout=BUILD_TIMEOUT):
        gallery.surfaces.itemActivated.emit(item)
    preset = PRESETS["himmelblau"]
    assert controller.surface.name == "himmelblau"
    assert controller.surface.domain == preset.domain
    # The balls moved to the preset's suggested starts with the surface, and restarted there.
    starts = [tuple(map(float, s)) for s in preset.starts]
    assert [ball.start for ball in controller.balls] == starts[:len(controller.balls)]
    assert controller.step_index == 0


def test_load_button_loads_a_scene(qtbot, gallery, controller):
    gallery.tabs.setCurrentWidget(gallery.scenes)
    row = list(PRESET_SCENES).index("rosenbrock-race")
    gallery.scenes.setCurrentRow(row)
    assert PRESET_SCENES["rosenbrock-race"].title in gallery.details.text()
    with qtbot.waitSignal(controller.sceneChanged, timeout=BUILD_TIMEOUT) as changed:
        gallery.load_button.click()
    assert changed.args[0] == PRESET_SCENES["rosenbrock-race"]
    assert [ball.name for ball in controller.balls] == [ball.name for ball in PRESET_SCENES["rosenbrock-race"].balls]


def test_presets_menu_lists_every_preset_with_its_note(qtbot, controller):
    menu = presets_menu(controller)
    actions = [action for action in menu.actions() if action.data()]
    assert [action.data() for action in actions] == list(PRESETS)
    assert all(action.toolTip() == PRESETS[action.data()].note for action in actions)
    with qtbot.waitSignal(controller.surfaceChanged, timeout=BUILD_TIMEOUT):
        actions[list(PRESETS).index("ravine")].trigger()
    assert controller.surface.name == "ravine"
    assert {ball.start for ball in controller.balls} == {tuple(map(float, PRESETS["ravine"].starts[0]))}
