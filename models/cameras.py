"""Camera records (雪亮 / 天眼 feeds) and the cameras near a place (issue 8).

Coordinates are the stored ones (WGS-84 / CGCS2000 longitude, latitude); the
search radius comes from the policy (`IntakePolicy.camera_radius_m`, 300 m by
default). No Qt here.
"""

from __future__ import annotations

import dataclasses as dc
import math
from collections.abc import Iterable
from enum import StrEnum
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlsplit

from models.policy import IntakePolicy

EARTH_RADIUS_M = 6_371_008.8  # mean Earth radius (IUGG)


class CameraKind(StrEnum):
    RTSP = "rtsp"
    HTTP = "http"  # progressive HTTP (mp4, MJPEG, FLV)
    HLS = "hls"
    FILE = "file"  # a recorded clip on disk


@dc.dataclass(frozen=True)
class Camera:
    id: int | str
    name: str
    lon: float
    lat: float
    grid_code: str | None
    stream_url: str
    kind: CameraKind = CameraKind.HTTP

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", CameraKind(self.kind))
        object.__setattr__(self, "lon", float(self.lon))
        object.__setattr__(self, "lat", float(self.lat))


def guess_kind(stream_url: str) -> CameraKind:
    """A kind for a URL an administrator typed in."""
    parts = urlsplit(stream_url)
    scheme = parts.scheme.lower()
    if scheme in ("rtsp", "rtsps"):
        return CameraKind.RTSP
    if scheme in ("http", "https"):
        return CameraKind.HLS if parts.path.lower().endswith(".m3u8") else CameraKind.HTTP
    return CameraKind.FILE


def media_url(camera: Camera) -> str:
    """The URL to give the player: a `file://` URL for a path on disk."""
    url = camera.stream_url.strip()
    if camera.kind is CameraKind.FILE and not urlsplit(url).scheme.lower() == "file":
        return Path(url).expanduser().resolve().as_uri()
    return url


def camera_problems(camera: Camera) -> list[str]:
    """Problems of a record before it is saved (codes, translated by the widgets)."""
    problems = []
    if not camera.name.strip():
        problems.append("name: empty")
    if not (-180.0 <= camera.lon <= 180.0) or not math.isfinite(camera.lon):
        problems.append("lon: out_of_range")
    if not (-90.0 <= camera.lat <= 90.0) or not math.isfinite(camera.lat):
        problems.append("lat: out_of_range")
    url = camera.stream_url.strip()
    scheme = urlsplit(url).scheme.lower()
    wanted = {
        CameraKind.RTSP: ("rtsp", "rtsps"),
        CameraKind.HTTP: ("http", "https"),
        CameraKind.HLS: ("http", "https"),
        CameraKind.FILE: ("file", ""),
    }[camera.kind]
    if not url:
        problems.append("stream_url: empty")
    elif scheme not in wanted and not (camera.kind is CameraKind.FILE and len(scheme) == 1):  # C:\...
        problems.append(f"stream_url: scheme_does_not_match_kind ({scheme or 'none'} for {camera.kind.value})")
    return problems


def haversine_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


class NearCamera(NamedTuple):
    camera: Camera
    distance_m: float


def cameras_near(
    cameras: Iterable[Camera],
    lon: float,
    lat: float,
    radius_m: float | None = None,
    *,
    policy: IntakePolicy | None = None,
) -> list[NearCamera]:
    """Cameras within `radius_m` (default: the policy's camera radius), nearest first.

    Ties are ordered by name then id so the list is stable.
    """
    if radius_m is None:
        radius_m = (policy or IntakePolicy()).camera_radius_m
    if radius_m < 0 or not math.isfinite(radius_m):
        raise ValueError(f"bad radius {radius_m!r}")
    found = []
    for cam in cameras:
        d = haversine_m(lon, lat, cam.lon, cam.lat)
        if d <= radius_m:
            found.append(NearCamera(cam, d))
    found.sort(key=lambda n: (n.distance_m, n.camera.name, str(n.camera.id)))
    return found
