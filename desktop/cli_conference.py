"""`griddesk conference providers|provider add|remove|default` and `griddesk camera add|list`.

Providers are changed by an administrator only: without `--user` the CLI acts as
the system (an administrator, like every other command); a `--user` who is not an
administrator is refused. Each configuration is checked before it is saved.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from desktop.cli import CliError
from desktop.cli_session import add_user_option, identity_for


def register(sub: argparse._SubParsersAction) -> None:
    conf = sub.add_parser("conference", help="视频会商系统配置 / video-consult providers")
    cs = conf.add_subparsers(dest="conference_command", metavar="ACTION", required=True)

    p = cs.add_parser("providers", help="列出会商系统 / list the configured providers")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_providers)

    prov = cs.add_parser("provider", help="添加、删除会商系统 / add or remove a provider (administrators)")
    ps = prov.add_subparsers(dest="provider_command", metavar="ACTION", required=True)
    p = ps.add_parser("add", help="添加或替换 / add or replace a provider (its configuration is checked)")
    p.add_argument("name")
    p.add_argument("--kind", required=True,
                   help="url, command, or the kind of an installed plug-in (entry point griddesk.conference)")
    p.add_argument("--config", required=True, metavar="JSON",
                   help='the configuration as a JSON object, or @FILE.json; e.g. '
                        '\'{"template": "https://meet.example.org/{room}", "open_in": "embedded"}\'')
    p.add_argument("--default", action="store_true", help="make it the default provider")
    p.add_argument("--disabled", action="store_true", help="store it without offering it")
    add_user_option(p)
    p.set_defaults(func=_add)
    p = ps.add_parser("remove", help="删除 / remove a provider")
    p.add_argument("name")
    add_user_option(p)
    p.set_defaults(func=_remove)
    p = ps.add_parser("default", help="设为默认 / make a provider the default")
    p.add_argument("name")
    add_user_option(p)
    p.set_defaults(func=_default)

    cam = sub.add_parser("camera", help="监控点位 / camera records (雪亮 / 天眼)")
    cms = cam.add_subparsers(dest="camera_command", metavar="ACTION", required=True)
    p = cms.add_parser("add", help="添加监控点 / add a camera (administrators)")
    p.add_argument("name")
    p.add_argument("--lon", type=float, required=True)
    p.add_argument("--lat", type=float, required=True)
    p.add_argument("--url", required=True, help="stream URL: rtsp://, http(s):// (mp4, MJPEG, .m3u8) or a file")
    p.add_argument("--kind", choices=["rtsp", "http", "hls", "file"], help="default: from the URL")
    p.add_argument("--grid", metavar="CODE", help="网格编码 (default: the grid containing the point)")
    add_user_option(p)
    p.set_defaults(func=_camera_add)
    p = cms.add_parser("list", help="列出监控点 / list cameras (a town officer sees their town's)")
    p.add_argument("--near", metavar="LON,LAT", type=_lon_lat, help="only cameras near this point, nearest first")
    p.add_argument("--radius", type=float, metavar="M", help="with --near: metres (default: the policy's, 300)")
    p.add_argument("--json", action="store_true")
    add_user_option(p)
    p.set_defaults(func=_camera_list)


def _lon_lat(text: str) -> tuple[float, float]:
    try:
        lon, lat = (float(x) for x in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError("LON,LAT like 121.37,28.58") from None
    return lon, lat


def _config(text: str) -> dict:
    source = "--config"
    if text.startswith("@"):
        source = text[1:]
        try:
            text = Path(source).read_text(encoding="utf-8")
        except OSError as exc:
            raise CliError(f"cannot read {source}: {exc.strerror}") from exc
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise CliError(f"{source} is not valid JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise CliError(f"{source} must be a JSON object, not {type(value).__name__}")
    return value


def _admin_session(args):
    from sqlalchemy.orm import Session

    from desktop.context import open_engine

    s = Session(open_engine(args))
    try:
        identity = identity_for(s, args)
    except BaseException:
        s.close()
        raise
    s.info["actor"] = identity.username
    return s, identity


def _store_errors(fn):
    from models.conference_store import AdminOnly, ConferenceStoreError, InvalidProvider

    try:
        return fn()
    except InvalidProvider as exc:
        lines = "\n".join(f"  - {p}" for p in exc.problems)
        raise CliError(f"provider {exc.name!r} ({exc.kind}) not saved:\n{lines}") from exc
    except AdminOnly as exc:
        raise CliError(str(exc)) from exc
    except ConferenceStoreError as exc:
        raise CliError(str(exc)) from exc


def _providers(args) -> int:
    from sqlalchemy.orm import Session

    from desktop.context import open_engine
    from models.conference import validate_config
    from models.conference_store import list_providers

    with Session(open_engine(args)) as s:
        rows = list_providers(s)
    # a stored configuration can stop holding (a client uninstalled, a plug-in removed): say so
    problems = {p.name: [str(x) for x in validate_config(p.kind, p.config)] for p in rows}
    if args.json:
        print(json.dumps([dict(name=p.name, kind=p.kind, config=p.config, enabled=p.enabled, default=p.is_default,
                               problems=problems[p.name]) for p in rows], ensure_ascii=False))
        return 0
    if not rows:
        print("no conference provider configured (griddesk conference provider add NAME --kind url --config JSON)")
    for p in rows:
        flags = ",".join(f for f, on in (("default", p.is_default), ("disabled", not p.enabled),
                                         ("invalid", bool(problems[p.name]))) if on)
        print(f"{p.name:20s} {p.kind:10s} {flags or '-':10s} {json.dumps(p.config, ensure_ascii=False)}")
        for problem in problems[p.name]:
            print(f"{'':20s} ! {problem}")
    return 0


def _add(args) -> int:
    from models.conference_store import save_provider

    config = _config(args.config)
    s, identity = _admin_session(args)
    with s:
        saved = _store_errors(lambda: save_provider(s, identity, args.name, args.kind, config,
                                                    enabled=not args.disabled, make_default=args.default))
        s.commit()
    print(f"provider {saved.name} ({saved.kind}) saved" + (" as the default" if saved.is_default else ""))
    return 0


def _remove(args) -> int:
    from models.conference_store import remove_provider

    s, identity = _admin_session(args)
    with s:
        _store_errors(lambda: remove_provider(s, identity, args.name))
        s.commit()
    print(f"provider {args.name} removed")
    return 0


def _default(args) -> int:
    from models.conference_store import set_default_provider

    s, identity = _admin_session(args)
    with s:
        _store_errors(lambda: set_default_provider(s, identity, args.name))
        s.commit()
    print(f"provider {args.name} is the default")
    return 0


def _camera_add(args) -> int:
    import sqlalchemy as sa

    from models.cameras import Camera as CameraRecord
    from models.cameras import camera_problems, guess_kind
    from models.enums import UserRole
    from models.lifecycle.service import CaseService
    from models.schema import Camera, Grid

    s, identity = _admin_session(args)
    with s:
        if identity.role is not UserRole.ADMIN:
            raise CliError(f"only an administrator may add cameras (not {identity.username}, {identity.role.value})")
        kind = args.kind or guess_kind(args.url).value
        record = CameraRecord(0, args.name, args.lon, args.lat, args.grid, args.url, kind)
        problems = camera_problems(record)
        if problems:
            raise CliError("camera not saved:\n" + "\n".join(f"  - {p}" for p in problems))
        if args.grid:
            grid = s.scalars(sa.select(Grid).where(Grid.code == args.grid)
                             .order_by(Grid.valid_to.is_(None).desc(), Grid.valid_from.desc())).first()
            if grid is None:
                raise CliError(f"no grid with code {args.grid}")
        else:
            grid = CaseService(s, identity).locate_grid(args.lon, args.lat)
        row = Camera(name=args.name.strip(), lon=args.lon, lat=args.lat, grid_code=grid.code if grid else None,
                     town_id=grid.town_id if grid else None, stream_url=args.url.strip(), kind=kind)
        s.add(row)
        s.commit()
        print(f"camera #{row.id} {row.name} ({kind}) grid {row.grid_code or '-'}")
    return 0


def _camera_list(args) -> int:
    from sqlalchemy.orm import Session

    from desktop.context import open_engine
    from models import map_data
    from models.cameras import Camera, cameras_near
    from models.policy_store import load_policy

    if args.radius is not None and args.near is None:
        raise CliError("--radius needs --near LON,LAT")
    with Session(open_engine(args)) as s:
        identity = identity_for(s, args)
        rows = map_data.cameras(s, identity)
        policy = load_policy(s)
    cams = [Camera(r["id"], r["name"], r["lon"], r["lat"], r["grid_code"], r["stream_url"]) for r in rows]
    if args.near is not None:
        try:
            found = cameras_near(cams, *args.near, args.radius, policy=policy.intake)
        except ValueError as exc:
            raise CliError(str(exc)) from exc
        listed = [(n.camera, round(n.distance_m, 1)) for n in found]
    else:
        listed = [(c, None) for c in sorted(cams, key=lambda c: (c.name, str(c.id)))]
    if args.json:
        print(json.dumps([dict(id=c.id, name=c.name, lon=c.lon, lat=c.lat, grid_code=c.grid_code, url=c.stream_url,
                               distance_m=d) for c, d in listed], ensure_ascii=False))
        return 0
    for c, d in listed:
        dist = f"{d:8.1f} m" if d is not None else ""
        print(f"{c.id!s:>6} {c.name:30s} {c.grid_code or '-':16s} {dist:>10s} {c.stream_url}")
    if not listed:
        print("no cameras" + (" within the radius" if args.near is not None else ""))
    return 0
