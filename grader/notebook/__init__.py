"""The submitted notebook, before anything runs: reading it defensively (`read`), finding written
answers however the student rearranged them (`answers`), and telling starter code apart (`attempt`)."""

from grader.notebook.read import (
    code_text,
    headings,
    last_code_cell,
    parse_notebook,
    read_notebook,
)

__all__ = ["code_text", "headings", "last_code_cell", "parse_notebook", "read_notebook"]
