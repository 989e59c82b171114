"""Grid and component codes (DOMAIN §2).

Grid code, 15 digits (Beijing DB11/T 2157-2023 style)::

    331004 001 007 006
    admin  town vill serial      admin = GB/T 2260 county-level code

The older 14-digit layout (6 + 3 + 3 + 2) is accepted and normalised to 15 digits
by zero-padding the serial to 3. Component code, 16 digits: 6 admin + 2 major class
+ 2 minor class + 6 serial (e.g. ``3205080101000001``).

Full-width digits (０-９, common in spreadsheets typed with a Chinese IME) and
surrounding blanks are accepted; everything else is an error whose message says why.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

__all__ = [
    "CodeError",
    "ComponentCode",
    "GridCode",
    "grid_code_problem",
    "is_grid_code",
    "make_component_code",
    "make_grid_code",
    "normalize_grid_code",
    "parse_component_code",
    "parse_grid_code",
]

_DIGITS = re.compile(r"[0-9]+")

# First two digits of GB/T 2260 codes: provinces, autonomous regions, municipalities,
# Taiwan (71), Hong Kong (81), Macao (82).
_PROVINCES = frozenset(
    {11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46}
    | {50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82}
)


class CodeError(ValueError):
    """A grid or component code that cannot be used; the message says why."""


def _digits(raw: object, what: str) -> str:
    """The code as a string of ASCII digits, or CodeError."""
    if raw is None:
        raise CodeError(f"{what} is missing")
    if isinstance(raw, bool):
        raise CodeError(f"{what} must be a string of digits, got {raw!r}")
    if isinstance(raw, int):
        text = str(raw)
    elif isinstance(raw, float):
        # A spreadsheet cell may hold the code as a number; exact up to 2**53.
        if not raw.is_integer() or not 0 <= raw < 2**53:
            raise CodeError(f"{what} must be a string of digits, got {raw!r}")
        text = str(int(raw))
    elif isinstance(raw, str):
        text = unicodedata.normalize("NFKC", raw).strip()
    else:
        raise CodeError(f"{what} must be a string of digits, got {type(raw).__name__}")
    if not text:
        raise CodeError(f"{what} is empty")
    if not _DIGITS.fullmatch(text):
        bad = next(ch for ch in text if not "0" <= ch <= "9")
        raise CodeError(f"{what} must contain digits only, got {text!r} (bad character {bad!r})")
    return text


def _check_admin(admin: str, what: str) -> None:
    if int(admin[:2]) not in _PROVINCES:
        raise CodeError(
            f"{what} starts with {admin}, which is not a GB/T 2260 administrative code "
            f"(no province {admin[:2]})"
        )
    if admin[2:] == "0000":
        raise CodeError(f"{what} starts with {admin}, a province code; a county-level code is needed")


@dataclass(frozen=True, slots=True)
class GridCode:
    """A parsed grid code; `str(code)` is the normalised 15-digit form."""

    admin: str  # 6 digits, GB/T 2260
    town: str  # 3 digits, street/town
    village: str  # 3 digits, community/village
    serial: str  # 3 digits, grid serial within the village
    legacy: bool = False  # parsed from the 14-digit layout

    @property
    def code(self) -> str:
        return self.admin + self.town + self.village + self.serial

    @property
    def district_code(self) -> str:
        """6 digits: the county-level administrative code."""
        return self.admin

    @property
    def town_code(self) -> str:
        """9 digits: district + town/street."""
        return self.admin + self.town

    @property
    def village_code(self) -> str:
        """12 digits: district + town + village/community."""
        return self.admin + self.town + self.village

    @property
    def serial_number(self) -> int:
        return int(self.serial)

    def __str__(self) -> str:
        return self.code


def parse_grid_code(raw: object) -> GridCode:
    """Parse a 15-digit (or legacy 14-digit) grid code; CodeError says what is wrong."""
    text = _digits(raw, "grid code")
    if len(text) == 15:
        admin, town, village, serial, legacy = text[:6], text[6:9], text[9:12], text[12:], False
    elif len(text) == 14:
        admin, town, village, serial, legacy = text[:6], text[6:9], text[9:12], "0" + text[12:], True
    else:
        raise CodeError(f"grid code must be 15 digits (or legacy 14), got {len(text)}: {text}")
    _check_admin(admin, "grid code")
    for part, label in ((town, "town/street"), (village, "village/community"), (serial, "grid serial")):
        if part == "000":
            raise CodeError(f"grid code {text}: the {label} part must not be 000")
    return GridCode(admin, town, village, serial, legacy)


def normalize_grid_code(raw: object) -> str:
    """The 15-digit form of a grid code (legacy 14-digit codes are padded)."""
    return parse_grid_code(raw).code


def is_grid_code(raw: object) -> bool:
    return grid_code_problem(raw) is None


def grid_code_problem(raw: object) -> str | None:
    """Why `raw` is not a usable grid code, or None when it is."""
    try:
        parse_grid_code(raw)
    except CodeError as exc:
        return str(exc)
    return None


def make_grid_code(district: str, town: int | str, village: int | str, serial: int | str) -> str:
    """Build a 15-digit code from a 6-digit district code and the three numbers.

    `town` and `village` may also be given as their 9- and 12-digit codes.
    """
    parts = []
    for value, width, full, label in (
        (town, 3, 9, "town"),
        (village, 3, 12, "village"),
        (serial, 3, None, "serial"),
    ):
        text = str(value)
        if full and len(text) == full and text.isdigit():
            text = text[-3:]
        if not text.isdigit() or int(text) < 1 or int(text) > 10**width - 1:
            raise CodeError(f"{label} number must be 1..{10**width - 1}, got {value!r}")
        parts.append(text.zfill(width))
    return parse_grid_code(district + "".join(parts)).code


@dataclass(frozen=True, slots=True)
class ComponentCode:
    """A parsed 16-digit component (部件) code."""

    admin: str  # 6 digits
    major: str  # 2 digits, major class (大类)
    minor: str  # 2 digits, minor class (小类)
    serial: str  # 6 digits

    @property
    def code(self) -> str:
        return self.admin + self.major + self.minor + self.serial

    @property
    def district_code(self) -> str:
        return self.admin

    @property
    def class_code(self) -> str:
        """4 digits: major + minor class."""
        return self.major + self.minor

    def __str__(self) -> str:
        return self.code


def parse_component_code(raw: object) -> ComponentCode:
    """Parse a 16-digit component code; CodeError says what is wrong."""
    text = _digits(raw, "component code")
    if len(text) != 16:
        raise CodeError(f"component code must be 16 digits, got {len(text)}: {text}")
    _check_admin(text[:6], "component code")
    admin, major, minor, serial = text[:6], text[6:8], text[8:10], text[10:]
    for part, label in ((major, "major class"), (minor, "minor class")):
        if part == "00":
            raise CodeError(f"component code {text}: the {label} must not be 00")
    if serial == "000000":
        raise CodeError(f"component code {text}: the serial must not be 000000")
    return ComponentCode(admin, major, minor, serial)


def make_component_code(district: str, major: int | str, minor: int | str, serial: int) -> str:
    """Build a 16-digit component code."""
    return parse_component_code(
        f"{district}{int(major):02d}{int(minor):02d}{int(serial):06d}"
    ).code
