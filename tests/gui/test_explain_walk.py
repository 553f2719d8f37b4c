"""What the explainer walks through (gui.explain.walk): the whole step last, words per kind, curvature signs."""

from __future__ import annotations

import numpy as np

from gui.explain.walk import CONTEXT_WORDS, LAST_WORDS, SUMMAND_WORDS, eigen_signs, kind_words, parts_to_walk
from physics.explain.parts import Explanation, Part, sum_of_summands


def _explanation(last_key: str) -> Explanation:
    position, step = np.array([1.0, 2.0]), np.array([0.25, -0.5])
    parts = (Part("gradient", "g", "context", -step, position),
             Part(last_key, "the step", "all of it", step, position, summand=True))
    return Explanation(0, 0, "gd", "GD, step 1", 1, position, step, parts)


def test_a_last_step_part_is_kept_and_one_is_added_otherwise():
    kept = _explanation("step")
    assert parts_to_walk(kept) == kept.parts
    added = parts_to_walk(_explanation("momentum_add"))
    assert len(added) == 3 and added[-1].key == "step" and not added[-1].summand
    np.testing.assert_array_equal(added[-1].vector, [0.25, -0.5])
    np.testing.assert_array_equal(added[-1].origin, [1.0, 2.0])
    assert "to (1.25, 1.5)" in added[-1].sentence
    # The added part is context: the summands still add up to the step, bit for bit.
    np.testing.assert_array_equal(sum_of_summands(added), [0.25, -0.5])


def test_kind_words_name_the_style_and_the_role():
    context, summand = _explanation("step").parts
    assert kind_words(summand, last=True) == LAST_WORDS
    assert kind_words(summand, last=False) == SUMMAND_WORDS and "solid yellow" in SUMMAND_WORDS
    assert kind_words(context, last=False) == CONTEXT_WORDS and "dashed white" in CONTEXT_WORDS
    assert kind_words(Part("eigen", "H", "words", None, np.zeros(2)), last=False) == ""


def test_eigen_signs_follow_the_matching_eigenvector():
    values = np.array([-1.0, 2.0])
    vectors = np.array([[0.0, 1.0], [1.0, 0.0]])       # columns: (0, 1) for -1, (1, 0) for 2
    directions = np.array([[1.0, 0.0], [0.0, -1.0]])   # columns: (1, 0), then (0, -1)
    assert eigen_signs(directions, values, vectors) == (1.0, -1.0)
    tilted = np.array([[np.cos(0.3)], [np.sin(0.3)]])
    assert eigen_signs(tilted, values, vectors) is None
    assert eigen_signs(None, values, vectors) is None
