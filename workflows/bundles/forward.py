"""Forwarding upward: a city's bundle carries the county inner bags its works came from, unchanged.

Each received inner bag is rebuilt from what the city kept at receive time (its tag files, as a
tar in the content store, and every payload file by hash) under `data/forwarded/<code>_<id>/`, so
the province can check the county's own signature. Works that came from such a bag point at their
files there (`files_in` in metadata.jsonl) instead of being packed twice.
"""

from __future__ import annotations

from pathlib import Path

from exporters import bagit, bundle
from workflows.errors import StationError
from workflows.station import Station

PREFIX = "data/forwarded/"


def sources(station: Station, subs: list[dict], tmp: Path) -> tuple[list[bundle.Source], dict[int, str]]:
    """The forwarded bags' files, and for each work that came from one, where its files are."""
    db = station.db()
    objects = station.objects
    groups: dict[tuple[str, str], list[dict]] = {}
    for s in subs:
        origin = (s.get("meta") or {}).get("bundle")
        if origin and s["source"] and origin.get("bundle_id"):
            groups.setdefault((origin["sender"], origin["bundle_id"]), []).append(s)
    out, files_in = [], {}
    for (sender, bundle_id), works in sorted(groups.items()):
        row = next(
            db.query(
                "SELECT * FROM received_bundles WHERE sender = ? AND bundle_id = ? ORDER BY id DESC LIMIT 1",
                [sender, bundle_id],
            ),
            None,
        )
        tar = objects.path(row["inner_tags"]) if row and row["inner_tags"] else None
        if tar is None or not tar.is_file():
            raise StationError("forward.missing", f"找不到 {sender} 报送包 {bundle_id} 的内层包记录，无法原样转报")
        name = f"{sender}_{bundle_id}"
        prefix = f"{PREFIX}{name}/"
        tags = bundle.untar_tags(tar.read_bytes())
        folder = tmp / "forwarded" / name
        for rel, data in tags.items():
            (folder / rel).parent.mkdir(parents=True, exist_ok=True)
            (folder / rel).write_bytes(data)
            out.append(bundle.Source(prefix + rel, str(folder / rel), len(data)))
        manifest = bagit.parse_manifest(tags["manifest-sha256.txt"], "manifest-sha256.txt")
        for rel, sha in sorted(manifest.items()):
            path = objects.path(sha)
            if not path.is_file():
                raise StationError("forward.missing", f"{sender} 报送包中的 {rel} 在内容库中缺失，无法原样转报")
            out.append(
                bundle.Source(prefix + rel, str(path), path.stat().st_size, sha, f"转报的 {sender} 报送包中的 {rel}")
            )
        for s in works:
            county_id = s["meta"]["bundle"]["submission_id"]
            base = f"data/submissions/{county_id}/"
            if all(manifest.get(base + f["path"]) == f["sha256"] for f in s["files"]):
                files_in[s["id"]] = prefix + base
    return out, files_in
