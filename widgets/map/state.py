"""What the map shows, kept on the Python side, and the diffs sent to the page. Pure, no Qt.

The view keeps the last state it sent, so a call like ``set_cases(all_cases)`` ships
only the cases that are new, changed or gone, and a reloaded page (render process
restart) can be given everything again.
"""

from __future__ import annotations

import base64
import math
import sys
from array import array
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

LIGHTS = ("green", "yellow", "red", "none")
_LIGHT_SET = frozenset(LIGHTS)


def _num(v: Any, what: str) -> float:
    f = float(v)
    if f - f != 0.0:  # NaN or ±inf (and cheaper than isnan + isinf: thousands of cases move at once)
        raise ValueError(f"{what} is not a finite number: {v!r}")
    return f


def _text(v: Any) -> str:
    return v if type(v) is str else str(v or "")


def norm_case(c: Mapping[str, Any]) -> dict:
    """{id, code, lon, lat, light, title, card} with types fixed; `card` is text or a {label: value} dict."""
    light = c.get("light") or "none"
    if light not in _LIGHT_SET:
        light = str(light)
        if light not in _LIGHT_SET:
            light = "none"
    card = c.get("card") or ""
    if isinstance(card, Mapping):
        card = {
            k if type(k) is str else str(k): v if type(v) is str else "" if v is None else str(v) for k, v in card.items()
        }
    elif type(card) is not str:
        card = str(card)
    return {
        "id": int(c["id"]),
        "code": _text(c.get("code")),
        "lon": _num(c["lon"], "lon"),
        "lat": _num(c["lat"], "lat"),
        "light": light,
        "title": _text(c.get("title")),
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


def same_case(raw: Mapping[str, Any], item: Mapping[str, Any]) -> bool:
    """True when `raw` normalises to the case `item` but for lon/lat (a cheap test, for `PointSet`)."""
    return (
        raw.get("light") == item["light"]
        and raw.get("code") == item["code"]
        and raw.get("title") == item["title"]
        and raw.get("card") == item["card"]
    )


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
    out = None
    for k, v in new.items():
        if k in old and old[k] == v:
            continue
        if out is None:
            out = {"id": new["id"]}
        out[k] = v
    return out


@dataclass
class Diff:
    upsert: list[dict] = field(default_factory=list)
    remove: list[int] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.upsert or self.remove)

    def to_json(self) -> dict:
        return {"upsert": self.upsert, "remove": self.remove}

    def to_json_moves(self, items: Mapping[int, Mapping[str, Any]]) -> dict:
        """`to_json` with the patches that only move a point (id plus lon and/or lat) packed
        into ``moves``: `float64s` of [id, lon, lat, id, lon, lat, ...]. When thousands of
        cases move this is a seventh of the time to serialise of patch dicts (no float to
        text and back) and half the bytes. `items`: the full points by id."""
        upsert: list[dict] = []
        moves: list = []
        for p in self.upsert:
            if len(p) > 1 and p.keys() <= _MOVE_KEYS:
                item = items[p["id"]]
                moves += (item["id"], item["lon"], item["lat"])
            else:
                upsert.append(p)
        out = {"upsert": upsert, "remove": self.remove}
        if moves:
            out["moves"] = float64s(moves)
        return out


_MOVE_KEYS = frozenset(("id", "lon", "lat"))


def float64s(values: Iterable[float]) -> str:
    """Numbers as base64 of little-endian IEEE doubles: exact, and the page decodes them
    without parsing text (griddesk_cases.js: float64s)."""
    packed = array("d", values)
    if sys.byteorder != "little":
        packed.byteswap()
    return base64.b64encode(packed.tobytes()).decode("ascii")


def from_float64s(text: str) -> list[float]:
    """The inverse of `float64s` (for tests and debugging)."""
    packed = array("d")
    packed.frombytes(base64.b64decode(text))
    if sys.byteorder != "little":
        packed.byteswap()
    return packed.tolist()


class PointSet:
    """Points by id (cases, cameras, workers) with diffing against what was sent.

    `same_but_position(raw, item)`, if given, is a cheap test that `raw` normalises to
    `item` except perhaps for lon/lat; then only the position is normalised (thousands of
    cases that only moved are diffed in a third of the time).
    """

    def __init__(self, normalise, same_but_position=None) -> None:
        self._norm = normalise
        self._same = same_but_position
        self.items: dict[int, dict] = {}

    def _diff_one(self, raw: Mapping[str, Any]) -> tuple[dict, dict | None]:
        """(`raw` normalised, its patch against the item sent before or None)."""
        if self._same is not None:
            old = self.items.get(raw.get("id"))
            if old is not None and self._same(raw, old):
                lon, lat = _num(raw["lon"], "lon"), _num(raw["lat"], "lat")
                if lon == old["lon"] and lat == old["lat"]:
                    return old, None
                item = old.copy()
                item["lon"], item["lat"] = lon, lat
                p = {"id": item["id"]}
                if lon != old["lon"]:
                    p["lon"] = lon
                if lat != old["lat"]:
                    p["lat"] = lat
                return item, p
        item = self._norm(raw)
        return item, patch(self.items.get(item["id"]), item)

    def replace(self, items: Iterable[Mapping[str, Any]]) -> Diff:
        new: dict[int, dict] = {}
        patches: dict[int, dict | None] = {}
        for raw in items:
            item, p = self._diff_one(raw)
            new[item["id"]] = item
            patches[item["id"]] = p
        diff = Diff(remove=[k for k in self.items if k not in new])
        diff.upsert = [p for p in patches.values() if p is not None]
        self.items = new
        return diff

    def upsert(self, items: Iterable[Mapping[str, Any]]) -> Diff:
        diff = Diff()
        for raw in items:
            item, p = self._diff_one(raw)
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
