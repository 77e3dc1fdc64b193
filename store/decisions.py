"""The one definition of "recommended": the work's current decision (`reviews`, kept by review.decide in the
same transaction as the `decisions` history) is 'recommend' and the work is imported (not superseded or
rejected). Export, quotas and the summary all ask here."""

from __future__ import annotations

import sqlite_utils

# A condition on `submissions s`.
RECOMMENDED = (
    "(s.status = 'imported' AND EXISTS "
    "(SELECT 1 FROM reviews r WHERE r.submission_id = s.id AND r.decision = 'recommend'))"
)


def recommended_ids(db: sqlite_utils.Database, campaign_id: int) -> list[int]:
    """The campaign's recommended works, by id."""
    return [
        r[0]
        for r in db.execute(
            f"SELECT s.id FROM submissions s WHERE s.campaign_id = ? AND {RECOMMENDED} ORDER BY s.id", [campaign_id]
        )
    ]
