"""The queue as the screen sees it: a page cache over SQLite, a cursor that follows its submission,
and an overlay of decisions typed but not yet written (so the screen never waits for the disk)."""

from __future__ import annotations

from dataclasses import replace
from typing import Callable

from store import queue as q
from store.queue import FACETS, QUICK, SORTS, Filter, facet  # noqa: F401  (the screens' read-model vocabulary)

PAGE = 100


class QueueModel:
    def __init__(self, db: Callable, filter: q.Filter):
        self._db = db
        self.filter = filter
        self.total = 0
        self.cursor = 0
        self.pages: dict[int, list[dict]] = {}
        self.overlay: dict[int, dict] = {}  # submission id -> fields not yet committed
        self.marked: set[int] = set()
        # submission id -> the revision the reviewer last saw (painted, marked, or written by this session):
        # decisions are conditional on it, never on a row read again but not yet on screen.
        self.seen: dict[int, int] = {}

    # --- reading -------------------------------------------------------------------------

    def reload(self, keep: int | None = None) -> None:
        """Read the count again and put the cursor back on KEEP (default: the current submission)."""
        keep = self.current_id() if keep is None else keep
        self.pages.clear()
        self.total = q.count(self._db(), self._query_filter())
        if keep is not None:
            found = q.position(self._db(), self._query_filter(), keep)
            if found is not None:
                self.cursor = found
        self.cursor = max(0, min(self.cursor, self.total - 1))

    def row(self, index: int) -> dict | None:
        if not 0 <= index < self.total:
            return None
        number, offset = divmod(index, PAGE)
        page = self.pages.get(number)
        if page is None:
            page = self.pages[number] = q.page(self._db(), self._query_filter(), number * PAGE, PAGE)
        if offset >= len(page):
            return None
        r = page[offset]
        pending = self.overlay.get(r["id"])
        return {**r, **pending} if pending else r

    def current(self) -> dict | None:
        return self.row(self.cursor)

    def current_id(self) -> int | None:
        r = self.row(self.cursor) if self.total else None
        return r["id"] if r else None

    def find(self, start: int, wanted: Callable[[dict], bool]) -> int | None:
        """The first index from START on whose row is WANTED."""
        for index in range(max(start, 0), self.total):
            r = self.row(index)
            if r is not None and wanted(r):
                return index
        return None

    def patch(self, rows: dict[int, dict]) -> bool:
        """Apply known new field values to cached rows; False when the list itself must be read again."""
        if q.depends_on_decision(self.filter):
            return False
        for page in self.pages.values():
            for r in page:
                if r["id"] in rows:
                    r.update(rows[r["id"]])
        return True

    def cached_index(self, submission_id: int) -> int | None:
        """Where SUBMISSION_ID is, if it is in a page already read."""
        for number, page in self.pages.items():
            for offset, r in enumerate(page):
                if r["id"] == submission_id:
                    return number * PAGE + offset
        return None

    def saw(self, revs: dict[int, int]) -> None:
        self.seen.update(revs)

    def seen_revs(self, ids: list[int]) -> dict[int, int]:
        """The revisions the reviewer saw for IDS (a row never shown counts as seen in its cached state)."""
        out = {}
        for i in ids:
            if i in self.seen:
                out[i] = self.seen[i]
            else:
                index = self.cached_index(i)
                row = self.pages[index // PAGE][index % PAGE] if index is not None else None
                if row is not None:
                    out[i] = row["rev"]
        missing = [i for i in ids if i not in out]
        if missing:
            out.update({r["id"]: r["rev"] for r in self.rows_for(missing).values()})
        return out

    def shown_rows(self, ids: list[int]) -> dict[int, dict]:
        """The rows of IDS as the reviewer sees them: the row under the cursor from the page already read,
        the others from the database. A single decision then reads nothing before it is shown."""
        current = self.current() if self.total else None
        out = {i: current for i in ids if current is not None and current["id"] == i}
        missing = [i for i in ids if i not in out]
        if missing:
            out.update(self.rows_for(missing))
        return out

    def rows_for(self, ids: list[int]) -> dict[int, dict]:
        """The queue rows of IDS (status, checks, decision), whatever the filter shows."""
        f = q.Filter(quick=frozenset({"marked"}), marked=frozenset(ids))
        return {r["id"]: r for r in q.page(self._db(), f, 0, max(1, len(ids)))}

    def all_ids(self) -> list[int]:
        return q.ids(self._db(), self._query_filter())

    def _query_filter(self) -> q.Filter:
        if "marked" in self.filter.quick:
            return replace(self.filter, marked=frozenset(self.marked))
        return self.filter

    # --- moving --------------------------------------------------------------------------

    def move_to(self, index: int) -> None:
        self.cursor = max(0, min(index, self.total - 1))

    def move_by(self, delta: int) -> None:
        self.move_to(self.cursor + delta)

    def set_filter(self, f: q.Filter) -> None:
        self.filter = f
        self.reload()
