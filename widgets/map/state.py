"""What the map shows, kept on the Python side, and the diffs sent to the page. Pure, no Qt.

The view keeps the last state it sent, so a call like ``set_cases(all_cases)`` ships
only the cases that are new, changed or gone, and a reloaded page (render process
restart) can be given everything again.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

LIGHTS = ("green", "yellow", "red", "none")


def _num(v: Any, what: str) -> float:
    f = float(v)
    if math.isnan(f) or math.isinf(f):
        raise ValueError(f"{what} is not a finite number: {v!r}")
    return f


def norm_case(c: Mapping[str, Any]) -> dict:
    """{id, code, lon, lat, light, title, card} with types fixed; `card` is text or a {label: value} dict."""
    light = str(c.get("light") or "none")
    if light not in LIGHTS:
        light = "none"
    card = c.get("card") or ""
    if isinstance(card, Mapping):
        card = {str(k): "" if v is None else str(v) for k, v in card.items()}
    else:
        card = str(card)
    return {
        "id": int(c["id"]),
        "code": str(c.get("code") or ""),
        "lon": _num(c["lon"], "lon"),
        "lat": _num(c["lat"], "lat"),
        "light": light,
        "title": str(c.get("title") or ""),
        "card": card,
    }


def norm_camera(c: Mapping[str, Any]) -> dict:
    return {
        "id": int(c["id"]),
        "name": str(c.get("name") or ""),
        "lon": _num(c["lon"], "lon"),
        "lat": _num(c["lat"], "lat"),
        "online": bool(c.get("online", True)),
    }


norm_worker = norm_camera  # {id, name, lon, lat, online}


def norm_track(t: Mapping[str, Any]) -> dict:
    """{id, name, color?, points: [[lon, lat, t_epoch_seconds], ...]} sorted by time."""
    pts = sorted(
        ([_num(p[0], "lon"), _num(p[1], "lat"), _num(p[2], "t")] for p in t.get("points") or ()),
        key=lambda p: p[2],
    )
    out = {"id": int(t["id"]), "name": str(t.get("name") or ""), "points": pts}
    if t.get("color"):
        out["color"] = str(t["color"])
    return out


def patch(old: dict | None, new: dict) -> dict | None:
    """What to send for `new`: everything if the page has no `old`, else the id and the
    changed fields; None when nothing changed."""
    if old is None:
        return new
    if old == new:
        return None
    out = {"id": new["id"]}
    out.update((k, v) for k, v in new.items() if old.get(k) != v)
    return out


@dataclass
class Diff:
    upsert: list[dict] = field(default_factory=list)
    remove: list[int] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.upsert or self.remove)

    def to_json(self) -> dict:
        return {"upsert": self.upsert, "remove": self.remove}


class PointSet:
    """Points by id (cases, cameras, workers) with diffing against what was sent."""

    def __init__(self, normalise) -> None:
        self._norm = normalise
        self.items: dict[int, dict] = {}

    def replace(self, items: Iterable[Mapping[str, Any]]) -> Diff:
        new = {}
        for raw in items:
            item = self._norm(raw)
            new[item["id"]] = item
        diff = Diff(remove=[k for k in self.items if k not in new])
        for k, item in new.items():
            p = patch(self.items.get(k), item)
            if p is not None:
                diff.upsert.append(p)
        self.items = new
        return diff

    def upsert(self, items: Iterable[Mapping[str, Any]]) -> Diff:
        diff = Diff()
        for raw in items:
            item = self._norm(raw)
            p = patch(self.items.get(item["id"]), item)
            if p is not None:
                self.items[item["id"]] = item
                diff.upsert.append(p)
        return diff

    def remove(self, ids: Iterable[int]) -> Diff:
        diff = Diff()
        for i in ids:
            if self.items.pop(int(i), None) is not None:
                diff.remove.append(int(i))
        return diff

    def everything(self) -> Diff:
        return Diff(upsert=list(self.items.values()))


def slim_grids(fc: Mapping[str, Any]) -> dict:
    """The grid FeatureCollection as the page needs it: geometry plus id, code, name."""
    feats = []
    for f in fc.get("features") or ():
        p = f.get("properties") or {}
        feats.append(
            {
                "type": "Feature",
                "geometry": f["geometry"],
                "properties": {"id": int(p["id"]), "code": str(p.get("code") or ""), "name": str(p.get("name") or "")},
            }
        )
    return {"type": "FeatureCollection", "features": feats}


def values_from_properties(props: Mapping[int, Mapping[str, Any]], measure: str) -> dict[int, float | None]:
    """{grid id: float(properties[measure])} from {grid id: properties}."""
    out: dict[int, float | None] = {}
    for gid, p in props.items():
        v = p.get(measure)
        out[int(gid)] = None if v is None else float(v)
    return out


def changed_values(old: Mapping[int, float | None], new: Mapping[int, float | None]) -> dict[int, float | None]:
    out = {}
    for k, v in new.items():
        k = int(k)
        v = None if v is None else float(v)
        if v is not None and math.isnan(v):
            v = None  # NaN means no data, and NaN != NaN would resend it forever
        if k not in old or old[k] != v:
            out[k] = v
    return out


def json_values(values: Mapping[int, float | None]) -> dict[str, float | None]:
    """Values with NaN as None (JSON has no NaN)."""
    return {str(k): (None if v is None or (isinstance(v, float) and math.isnan(v)) else v) for k, v in values.items()}
