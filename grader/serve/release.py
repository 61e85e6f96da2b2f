"""What a student may see of a result: the staff "publish" switch (kept in the gradebook's settings
table) and the assignment's visibility rules (grader.report.visibility), applied to every result a
student token reads, on pages and through the API alike."""

from __future__ import annotations

import json
import time
from datetime import datetime, timezone
from typing import Any

from grader.report.visibility import release, student_view
from grader.spec.models import Assignment
from grader.workflows.batch.gradebook import Gradebook


class Release:
    def __init__(self, book: Gradebook, assignment: Assignment) -> None:
        self.book = book
        self.assignment = assignment

    def state(self) -> dict[str, Any]:
        row = self.book.db.execute("SELECT value FROM settings WHERE key = 'published'").fetchone()
        return json.loads(row[0]) if row else {"published": False}

    @property
    def published(self) -> bool:
        return bool(self.state().get("published"))

    def publish(self, on: bool, by: str) -> None:
        with self.book.db:
            self.book.db.execute("INSERT OR REPLACE INTO settings VALUES ('published', ?)",
                                 (json.dumps({"published": on, "by": by, "at": time.time()}),))

    def student_view(self, doc: dict[str, Any]) -> dict[str, Any]:
        """What a student reads of `doc` now (pages, API, feedback files)."""
        return student_view(doc, self.assignment, published=self.published, now=datetime.now(timezone.utc))

    def release(self, doc: dict[str, Any]) -> dict[str, Any]:
        """`doc` with what a student sees now marked visible, nothing left out (the results/ files)."""
        return release(doc, self.assignment, published=self.published, now=datetime.now(timezone.utc))
