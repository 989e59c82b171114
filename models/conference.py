"""Conference providers: how GridDesk starts a video consult (issue 8).

A provider turns a `ConferenceRequest` (room, case, grid, town, user, participants)
into a `ConferenceLaunch`: a URL to open in the embedded conference panel or the
system browser, or an argument list for an external client. Two providers are
built in (`url`, `command`); a deployment adds its vendor's system through the
entry-point group `griddesk.conference` without changing GridDesk::

    [project.entry-points."griddesk.conference"]
    acme = "acme_griddesk:AcmeProvider"     # a ConferenceProvider subclass, kind "acme"

Provider configurations are plain JSON-able dicts (stored by the caller, checked
with `validate_config` when an administrator saves them). No Qt here: the widgets
in `widgets/video` carry a launch out.
"""

from __future__ import annotations

import dataclasses as dc
import hashlib
import importlib.metadata
import logging
import os
import re
import shutil
import string
import unicodedata
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping, Sequence
from enum import StrEnum
from typing import Any, ClassVar, NamedTuple
from urllib.parse import quote, urlsplit

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "griddesk.conference"

PLACEHOLDERS: tuple[str, ...] = ("room", "case", "grid", "town", "user", "participants")
"""Names a template may use, each written `{name}`; `{{` and `}}` are literal braces."""

# Programs that would interpret their arguments as a command line again.
_SHELLS = frozenset(
    {"sh", "bash", "dash", "zsh", "ksh", "mksh", "csh", "tcsh", "fish", "ash", "busybox",
     "cmd", "powershell", "pwsh", "env", "xargs"}
)

# Interpreters whose "-c CODE"-like argument would run a substituted value as code.
_INTERPRETER = re.compile(r"(python|pythonw|perl|ruby|node|nodejs|php|lua|osascript|tclsh|wish)[0-9.]*(\.exe)?")
_CODE_FLAGS = frozenset({"-c", "-e", "-E", "--eval", "-r", "--command", "-p", "--print"})

# Media permissions a conference page may be granted (the rest are always denied).
MEDIA_PERMISSIONS = frozenset({"camera", "microphone", "camera_microphone"})


class LaunchKind(StrEnum):
    EMBEDDED_URL = "embedded_url"  # open in the embedded conference panel
    BROWSER_URL = "browser_url"  # open in the system browser
    PROCESS = "process"  # start an external client (argv, no shell)


class Problem(str):
    """One configuration problem: readable text plus a stable `code` and `field`.

    A `str`, so `validate` returns `list[str]`; widgets translate by `code`.
    """

    field: str
    code: str
    detail: str

    def __new__(cls, field: str, code: str, detail: str = "") -> "Problem":
        self = super().__new__(cls, f"{field}: {code}" + (f" ({detail})" if detail else ""))
        self.field, self.code, self.detail = field, code, detail
        return self


class ConferenceError(Exception):
    """A conference could not be started."""


class InvalidConfig(ConferenceError):
    def __init__(self, kind: str, problems: Sequence[str]):
        super().__init__(f"invalid {kind!r} provider configuration: " + "; ".join(problems))
        self.kind = kind
        self.problems = list(problems)


# --------------------------------------------------------------------------- request

class Participant(NamedTuple):
    name: str
    role: str = ""
    phone: str = ""


def format_participants(participants: Iterable[Participant]) -> str:
    """`name:role:phone` entries joined by commas (`,` and `:` in a field become spaces)."""

    def clean(text: str) -> str:
        return re.sub(r"[,:]", " ", text or "").strip()

    return ",".join(":".join(clean(f) for f in p) for p in participants)


def _slug(code: str) -> str:
    text = unicodedata.normalize("NFKC", code).strip().lower()
    slug = re.sub(r"[^a-z0-9]+", "-", text).strip("-")
    lossless = bool(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", text))
    if len(slug) > 48:
        slug, lossless = slug[:48].rstrip("-"), False
    if not lossless:
        digest = hashlib.sha1(code.encode("utf-8")).hexdigest()[:6]
        slug = f"{slug}-{digest}" if slug else digest
    return slug


def derive_room(code: str, scope: str = "case") -> str:
    """Room name for a case (`gd-<code>`), grid (`gd-grid-<code>`) or town (`gd-town-<code>`).

    Lower case ASCII letters, digits and `-`; a code that loses characters in that
    form (Chinese, `/`, spaces, over 48 chars) gets a 6-hex hash of the original
    appended, so two different codes never share a room.
    """
    if not code or not code.strip():
        raise ValueError("empty code")
    if scope not in ("case", "grid", "town"):
        raise ValueError(f"unknown room scope {scope!r}")
    prefix = "gd-" if scope == "case" else f"gd-{scope}-"
    return prefix + _slug(code)


@dc.dataclass(frozen=True)
class ConferenceRequest:
    """Who meets about what. `participants` accepts (name, role, phone) tuples."""

    room: str
    case_code: str | None = None
    grid_code: str | None = None
    town_code: str | None = None
    user: str = ""
    participants: tuple[Participant, ...] = ()

    def __post_init__(self) -> None:
        if not self.room:
            raise ValueError("a conference needs a room")
        object.__setattr__(self, "participants", tuple(Participant(*p) for p in self.participants))

    @classmethod
    def for_case(cls, case_code: str, **kw: Any) -> "ConferenceRequest":
        return cls(room=derive_room(case_code, "case"), case_code=case_code, **kw)

    @classmethod
    def for_grid(cls, grid_code: str, **kw: Any) -> "ConferenceRequest":
        return cls(room=derive_room(grid_code, "grid"), grid_code=grid_code, **kw)

    @classmethod
    def for_town(cls, town_code: str, **kw: Any) -> "ConferenceRequest":
        return cls(room=derive_room(town_code, "town"), town_code=town_code, **kw)

    def values(self) -> dict[str, str]:
        """Raw (unquoted) placeholder values."""
        return {
            "room": self.room,
            "case": self.case_code or "",
            "grid": self.grid_code or "",
            "town": self.town_code or "",
            "user": self.user or "",
            "participants": format_participants(self.participants),
        }


@dc.dataclass(frozen=True)
class ConferenceLaunch:
    """What to do to join: open `url` (embedded / browser) or run `argv` (no shell)."""

    kind: LaunchKind
    provider: str
    request: ConferenceRequest
    url: str | None = None
    argv: tuple[str, ...] = ()
    allowed_origins: tuple[str, ...] = ()  # granted camera/microphone in the embedded panel

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", LaunchKind(self.kind))
        object.__setattr__(self, "argv", tuple(self.argv))
        object.__setattr__(self, "allowed_origins", tuple(origin_of(o) for o in self.allowed_origins))
        if self.kind is LaunchKind.PROCESS:
            if not self.argv or not self.argv[0]:
                raise ValueError("a process launch needs an argument list")
        elif not self.url:
            raise ValueError(f"a {self.kind.value} launch needs a URL")

    def log_payload(self) -> dict[str, Any]:
        """Plain data for the case flow log and the audit log."""
        r = self.request
        return {
            "provider": self.provider,
            "launch": self.kind.value,
            "room": r.room,
            "case": r.case_code,
            "grid": r.grid_code,
            "town": r.town_code,
            "user": r.user,
            "participants": [p._asdict() for p in r.participants],
            "url": self.url,
            "argv": list(self.argv),
        }


# --------------------------------------------------------------------------- templates

def template_problems(template: Any, field: str = "template") -> list[Problem]:
    """Problems of one template: not a string, unbalanced braces, unknown placeholder."""
    if not isinstance(template, str):
        return [Problem(field, "not_text")]
    if "\x00" in template:
        return [Problem(field, "control_character")]
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        return [Problem(field, "unbalanced_braces", str(exc))]
    problems = []
    for _literal, name, spec, conversion in parsed:
        if name is None:
            continue
        if name not in PLACEHOLDERS:
            problems.append(Problem(field, "unknown_placeholder", "{" + name + "}"))
        elif spec or conversion:
            problems.append(Problem(field, "format_spec", "{" + name + "}"))
    return problems


def render_template(template: str, values: Mapping[str, str], quote_value: Callable[[str], str]) -> str:
    """Substitute placeholders (checked by `template_problems`) without `str.format`."""
    out = []
    for literal, name, _spec, _conv in string.Formatter().parse(template):
        out.append(literal)
        if name is not None:
            if name not in PLACEHOLDERS:
                raise ConferenceError(f"unknown placeholder {{{name}}}")
            out.append(quote_value(values.get(name, "")))
    return "".join(out)


def url_quote(value: str) -> str:
    """Percent-encode everything but unreserved characters (UTF-8), `/` included."""
    return quote(value, safe="")


def origin_of(url: str) -> str:
    """`scheme://host[:port]` of a URL, lower case, default port omitted, IDN as punycode."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = parts.hostname or ""
    if not scheme or not host:
        raise ValueError(f"no origin in {url!r}")
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError:
        pass
    if ":" in host:  # IPv6
        host = f"[{host}]"
    port = parts.port  # ValueError on a bad port
    default = {"http": 80, "https": 443}.get(scheme)
    return f"{scheme}://{host}" + (f":{port}" if port is not None and port != default else "")


def permission_allowed(origin: str, permission: str, allowed_origins: Iterable[str]) -> bool:
    """Grant only camera/microphone, and only to one of the configured origins."""
    if permission not in MEDIA_PERMISSIONS:
        return False
    try:
        asked = origin_of(origin)
    except ValueError:
        return False
    allowed = set()
    for o in allowed_origins:
        try:
            allowed.add(origin_of(o))
        except ValueError:
            continue
    return asked in allowed


# --------------------------------------------------------------------------- providers

class ConferenceProvider(ABC):
    """A conference system. Subclasses set `kind` and implement `validate` and `start`.

    `ProviderClass.validate(config)` lists problems of a configuration without
    building anything; `ProviderClass(config)` raises `InvalidConfig` on any.
    """

    kind: ClassVar[str]

    def __init__(self, config: Mapping[str, Any]):
        problems = self.validate(config)
        if problems:
            raise InvalidConfig(self.kind, problems)
        self.config: dict[str, Any] = dict(config)

    @classmethod
    @abstractmethod
    def validate(cls, config: Mapping[str, Any]) -> list[str]:
        """Problems of `config`; empty when it can be saved."""

    @abstractmethod
    def start(self, request: ConferenceRequest) -> ConferenceLaunch:
        """What to launch for this request. Never blocks, never starts anything itself."""


def _unknown_keys(config: Mapping[str, Any], known: set[str]) -> list[Problem]:
    return [Problem(k, "unknown_key") for k in sorted(set(config) - known, key=str)]


class UrlProvider(ConferenceProvider):
    """A web conference address built from a template (Jitsi, BigBlueButton, vendor consoles).

    Config: `template` (http/https URL with placeholders; each value URL-quoted),
    `open_in` "embedded" (default) or "browser", optional `extra_origins` (list of
    origins also granted camera/microphone, e.g. where the console redirects).
    """

    kind = "url"
    _SAMPLE_A = dict.fromkeys(PLACEHOLDERS, "a")
    _SAMPLE_B = dict.fromkeys(PLACEHOLDERS, "b-2")

    @classmethod
    def validate(cls, config: Mapping[str, Any]) -> list[str]:
        if not isinstance(config, Mapping):
            return [Problem("config", "not_a_mapping")]
        problems: list[Problem] = _unknown_keys(config, {"template", "open_in", "extra_origins"})
        template = config.get("template")
        if template is None or (isinstance(template, str) and not template.strip()):
            problems.append(Problem("template", "empty_template"))
        else:
            found = template_problems(template)
            problems += found
            if not found:
                problems += cls._url_problems(template)
        if config.get("open_in", "embedded") not in ("embedded", "browser"):
            problems.append(Problem("open_in", "bad_open_in", repr(config.get("open_in"))))
        extra = config.get("extra_origins", [])
        if not isinstance(extra, (list, tuple)) or not all(isinstance(o, str) for o in extra):
            problems.append(Problem("extra_origins", "not_a_list"))
        else:
            for i, origin in enumerate(extra):
                problems += _origin_problems(origin, f"extra_origins[{i}]")
        return problems

    @classmethod
    def _url_problems(cls, template: str) -> list[Problem]:
        if any(c.isspace() for c in template):
            return [Problem("template", "whitespace")]
        a = render_template(template, cls._SAMPLE_A, url_quote)
        b = render_template(template, cls._SAMPLE_B, url_quote)
        parts = urlsplit(a)
        if parts.scheme.lower() not in ("http", "https"):
            return [Problem("template", "bad_scheme", parts.scheme or "none")]
        if not parts.hostname:
            return [Problem("template", "no_host")]
        try:
            origin_a, origin_b = origin_of(a), origin_of(b)
        except ValueError as exc:  # e.g. a placeholder as the port
            return [Problem("template", "bad_address", str(exc))]
        if origin_a != origin_b:
            return [Problem("template", "placeholder_in_origin")]
        return []

    def origins(self) -> tuple[str, ...]:
        base = origin_of(render_template(self.config["template"], self._SAMPLE_A, url_quote))
        extra = tuple(origin_of(o) for o in self.config.get("extra_origins", ()))
        return tuple(dict.fromkeys((base, *extra)))

    def start(self, request: ConferenceRequest) -> ConferenceLaunch:
        url = render_template(self.config["template"], request.values(), url_quote)
        embedded = self.config.get("open_in", "embedded") == "embedded"
        return ConferenceLaunch(
            kind=LaunchKind.EMBEDDED_URL if embedded else LaunchKind.BROWSER_URL,
            provider=self.kind,
            request=request,
            url=url,
            allowed_origins=self.origins() if embedded else (),
        )


def _origin_problems(origin: str, field: str) -> list[Problem]:
    try:
        normal = origin_of(origin)
    except ValueError as exc:
        return [Problem(field, "bad_origin", str(exc))]
    if not normal.startswith(("http://", "https://")):
        return [Problem(field, "bad_scheme", origin)]
    if urlsplit(origin).path not in ("", "/") or urlsplit(origin).query:
        return [Problem(field, "bad_origin", "an origin has no path or query")]
    return []


class CommandProvider(ConferenceProvider):
    """An external conference client, started without a shell.

    Config: `program` (a path or a name on PATH; must exist and be executable) and
    `args` (list of argument templates; placeholders substituted per argument,
    values passed literally — `;`, `$(...)`, quotes and spaces are never interpreted).
    """

    kind = "command"

    @classmethod
    def validate(cls, config: Mapping[str, Any]) -> list[str]:
        if not isinstance(config, Mapping):
            return [Problem("config", "not_a_mapping")]
        problems: list[Problem] = _unknown_keys(config, {"program", "args"})
        program = config.get("program")
        if not isinstance(program, str) or not program.strip():
            problems.append(Problem("program", "empty_program"))
        elif "{" in program or "}" in program:
            problems.append(Problem("program", "placeholder_in_program"))
        else:
            base = os.path.basename(program.strip()).lower()
            name = base[:-4] if base.endswith(".exe") else base
            if name in _SHELLS or base.endswith((".bat", ".cmd")):  # Windows runs batch files via cmd.exe
                problems.append(Problem("program", "program_is_shell", base))
            elif resolve_program(program) is None:
                code = "program_looks_like_command_line" if " " in program.strip() else "program_not_found"
                problems.append(Problem("program", code, program))
        args = config.get("args", [])
        if not isinstance(args, (list, tuple)):
            problems.append(Problem("args", "not_a_list"))
        else:
            for i, arg in enumerate(args):
                problems += template_problems(arg, f"args[{i}]")
            if isinstance(program, str) and _INTERPRETER.fullmatch(os.path.basename(program.strip()).lower()):
                for i, (flag, code) in enumerate(zip(args, args[1:])):
                    if flag in _CODE_FLAGS and isinstance(code, str) and "{" in code.replace("{{", ""):
                        problems.append(Problem(f"args[{i + 1}]", "placeholder_in_code", f"{flag} {code}"))
        return problems

    def start(self, request: ConferenceRequest) -> ConferenceLaunch:
        program = resolve_program(self.config["program"])
        if program is None:
            raise ConferenceError(f"program not found or not executable: {self.config['program']}")
        values = request.values()
        args = [render_template(a, values, _no_nul) for a in self.config.get("args", [])]
        return ConferenceLaunch(kind=LaunchKind.PROCESS, provider=self.kind, request=request,
                                argv=(program, *args))


def _no_nul(value: str) -> str:
    return value.replace("\x00", "")


def resolve_program(program: str) -> str | None:
    """Absolute path of an executable file (a path, or a name looked up on PATH)."""
    program = program.strip()
    if not program:
        return None
    found = shutil.which(program)
    if found is None or not os.path.isfile(found):
        return None
    return os.path.abspath(found)


# --------------------------------------------------------------------------- registry

BUILTIN_PROVIDERS: dict[str, type[ConferenceProvider]] = {
    UrlProvider.kind: UrlProvider,
    CommandProvider.kind: CommandProvider,
}


def discover_providers(group: str = ENTRY_POINT_GROUP) -> tuple[dict[str, type[ConferenceProvider]], list[str]]:
    """Built-in providers plus those of the entry-point group, and the load problems.

    An entry point named like a built-in, one that fails to import, is not a
    `ConferenceProvider` subclass, or whose `kind` differs from its name is skipped
    and reported; it never breaks the others.
    """
    providers: dict[str, type[ConferenceProvider]] = dict(BUILTIN_PROVIDERS)
    problems: list[str] = []
    for ep in sorted(importlib.metadata.entry_points(group=group), key=lambda e: (e.name, e.value)):
        if ep.name in providers:
            what = "a built-in" if ep.name in BUILTIN_PROVIDERS else "another entry point"
            problems.append(f"{ep.name} = {ep.value}: shadows {what} provider, skipped")
            continue
        try:
            obj = ep.load()
        except Exception as exc:  # a broken plug-in must not break the others
            problems.append(f"{ep.name} = {ep.value}: cannot load ({type(exc).__name__}: {exc})")
            continue
        if not (isinstance(obj, type) and issubclass(obj, ConferenceProvider)):
            problems.append(f"{ep.name} = {ep.value}: not a ConferenceProvider subclass")
            continue
        if getattr(obj, "kind", None) != ep.name:
            problems.append(f"{ep.name} = {ep.value}: kind {getattr(obj, 'kind', None)!r} differs from the name")
            continue
        providers[ep.name] = obj
    return providers, problems


def available_providers() -> dict[str, type[ConferenceProvider]]:
    """kind -> provider class (built-ins first); load problems are logged."""
    providers, problems = discover_providers()
    for p in problems:
        log.warning("conference provider %s", p)
    return providers


def validate_config(kind: str, config: Mapping[str, Any]) -> list[str]:
    """Problems of a provider configuration (empty: it may be saved)."""
    cls = available_providers().get(kind)
    if cls is None:
        return [Problem("kind", "unknown_provider", kind)]
    try:
        return list(cls.validate(config))
    except Exception as exc:  # a plug-in's validator failing is a problem, not a crash
        return [Problem("config", "validator_failed", f"{type(exc).__name__}: {exc}")]


def make_provider(kind: str, config: Mapping[str, Any]) -> ConferenceProvider:
    cls = available_providers().get(kind)
    if cls is None:
        raise ConferenceError(f"unknown conference provider {kind!r}")
    return cls(config)


def start_conference(kind: str, config: Mapping[str, Any], request: ConferenceRequest) -> ConferenceLaunch:
    """Build the provider and its launch for `request`; checks what a plug-in returns."""
    launch = make_provider(kind, config).start(request)
    if not isinstance(launch, ConferenceLaunch):
        raise ConferenceError(f"provider {kind!r} returned {type(launch).__name__}, not a ConferenceLaunch")
    return launch
