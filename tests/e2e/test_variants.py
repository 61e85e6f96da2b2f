"""The seed assignment's verdicts: buggy variants lose points on exactly the broken question, with
feedback that says why; correct-but-different variants keep full marks."""

from __future__ import annotations

import pytest
from conftest import grade
from variants import BUGGY, CORRECT, Variant, assert_verdicts

pytestmark = pytest.mark.notebook


@pytest.mark.parametrize("variant", BUGGY, ids=[v.name for v in BUGGY])
def test_buggy_variant_loses_points_on_exactly_the_broken_question(variant: Variant, tmp_path) -> None:
    result = grade(variant.build(tmp_path))
    assert_verdicts(result, variant)


@pytest.mark.parametrize("variant", CORRECT, ids=[v.name for v in CORRECT])
def test_correct_variant_keeps_full_marks(variant: Variant, tmp_path) -> None:
    result = grade(variant.build(tmp_path))
    lost = {q.id: (q.status, q.feedback) for q in result.questions if q.score != q.max_score}
    assert not lost, lost
    assert result.score == result.max_score == 20
