"""Finding written answers however students rearrange their notebooks."""

from __future__ import annotations

from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from grader.kinds.cells import ANSWER_PLACEHOLDER
from grader.notebook.answers import find_answer
from grader.symbolic import check_answer

PROMPT = "Calculate the derivative of ReLU"
OTHER = "calculate the derivative with respect to"


def nb(*cells):
    return new_notebook(cells=list(cells))


def test_answer_in_following_cells_until_next_exercise() -> None:
    book = nb(new_markdown_cell(f"**Exercise 1:** {PROMPT}.\n\n**Your Solution**"),
              new_markdown_cell("$$f'(x) = 1$$"), new_code_cell("scratch = 1"), new_markdown_cell("more $x$"),
              new_markdown_cell("**Exercise 2:** Implement ReLU"), new_markdown_cell("$$not = this$$"))
    region = find_answer(book, prompt=PROMPT)
    assert region is not None and region.cells == [1, 3]
    assert "not = this" not in region.text


def test_answer_written_in_the_prompt_cell_after_the_marker() -> None:
    book = nb(new_markdown_cell(f"**Exercise 1:** {PROMPT}.\n\n**Your Solution:** $$g = 2$$"))
    region = find_answer(book, prompt=PROMPT)
    assert region is not None and "g = 2" in region.text and PROMPT not in region.text


def test_tag_wins_over_prompt() -> None:
    tagged = new_markdown_cell("$$tagged$$", metadata={"tags": ["relu_answer"]})
    book = nb(new_markdown_cell(PROMPT), new_markdown_cell("$$untagged$$"), tagged)
    assert find_answer(book, tag="relu_answer", prompt=PROMPT).text == "$$tagged$$"


def test_duplicated_prompt_picks_the_answered_copy() -> None:
    book = nb(new_markdown_cell(f"**Exercise 1:** {PROMPT}"), new_markdown_cell(f"**Exercise 1:** {PROMPT}"),
              new_markdown_cell("$$answer$$"))
    assert find_answer(book, prompt=PROMPT).text == "$$answer$$"


def test_stops_at_another_questions_prompt_without_exercise_label() -> None:
    book = nb(new_markdown_cell(PROMPT), new_markdown_cell("$$a$$"), new_markdown_cell(f"Now {OTHER} y"),
              new_markdown_cell("$$b$$"))
    assert find_answer(book, prompt=PROMPT, other_prompts=[OTHER]).text == "$$a$$"


def test_reworded_prompt_is_found_fuzzily() -> None:
    book = nb(new_markdown_cell("Calculate the derivative of the ReLU"), new_markdown_cell("$$a$$"))
    region = find_answer(book, prompt=PROMPT)
    assert region is not None and region.text == "$$a$$" and region.how == "fuzzy prompt"


def test_missing_prompt_returns_none() -> None:
    assert find_answer(nb(new_markdown_cell("nothing here")), prompt=PROMPT) is None


def _graded(text: str, target: str | None = "f'(x)") -> str:
    """What the written-answer checker makes of the answer `find_answer` reads from a tagged cell."""
    book = nb(new_markdown_cell(PROMPT), new_markdown_cell(text, metadata={"tags": ["q"]}))
    return check_answer(find_answer(book, tag="q", prompt=PROMPT).text, "9*x**2 - 4*x + 5", target=target).status


def test_release_placeholder_and_its_example_are_no_answer() -> None:
    assert "$$" in ANSWER_PLACEHOLDER  # the example that used to be read as an answer
    assert _graded(ANSWER_PLACEHOLDER) == "no_answer"
    assert _graded(ANSWER_PLACEHOLDER, target=None) == "no_answer"  # read as the answer `...` once, so `wrong`
    assert _graded("YOUR ANSWER HERE (write your derivation in LaTeX math)") == "no_answer"  # the seed's starter


def test_an_answer_written_beside_the_placeholder_is_still_read() -> None:
    assert _graded(f"{ANSWER_PLACEHOLDER}\n\n$$f'(x) = 9x^2 - 4x + 5$$") == "correct"
    assert _graded("YOUR ANSWER HERE: $$f'(x) = 9x^2 - 4x + 5$$") == "correct"
    assert _graded("YOUR ANSWER HERE ($$f'(x) = 9x^2 - 4x + 5$$)") == "correct"  # brackets without a hint: kept
