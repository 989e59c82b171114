"""Errors of the case engine: each names the state and the action, in Chinese and English."""

from __future__ import annotations


class CaseError(Exception):
    """Base of every refusal of the engine."""


class IllegalTransition(CaseError):
    def __init__(self, action: str, status: str, detail: str = "") -> None:
        self.action, self.status = action, status
        extra = f": {detail}" if detail else ""
        super().__init__(f"案件状态为 {status} 时不能执行 {action} / action '{action}' is not allowed "
                         f"in state '{status}'{extra}")


class NotPermitted(CaseError):
    def __init__(self, action: str, role: str, detail: str = "") -> None:
        self.action, self.role = action, role
        extra = f": {detail}" if detail else ""
        super().__init__(f"角色 {role} 无权执行 {action} / role '{role}' may not '{action}'{extra}")


class MissingInput(CaseError):
    def __init__(self, action: str, field: str) -> None:
        self.action, self.field = action, field
        super().__init__(f"{action} 需要填写 {field} / action '{action}' requires '{field}'")


class OutOfScope(CaseError):
    """A case, grid or town outside the user's town (same answer whether or not it exists)."""

    def __init__(self, what: str) -> None:
        super().__init__(f"{what} 不在您的辖区 / {what} is outside your town")


class VersionConflict(CaseError):
    """The case changed since the caller read it; nothing was written."""

    def __init__(self, case_code: str, expected: int, actual: int, changes: list[dict] | None = None) -> None:
        self.case_code, self.expected, self.actual = case_code, expected, actual
        self.changes = changes or []
        super().__init__(f"案件 {case_code} 已被他人修改 (版本 {expected} → {actual}) / case {case_code} was "
                         f"changed by someone else (version {expected}, now {actual}); reload and try again")
