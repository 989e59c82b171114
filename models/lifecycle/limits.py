"""Step limits: the dictionary rule for handling, the policy for the other steps."""

from __future__ import annotations

from dataclasses import dataclass

from models.enums import Level, Step, TimeUnit
from models.policy import Policy


@dataclass(frozen=True)
class ClassRule:
    """The rule row of a case's minor class, as the engine needs it."""

    minor_class_id: int
    code: str
    time_limit: float
    time_unit: TimeUnit
    department_id: int | None
    level: Level


def step_limit(step: Step, rule: ClassRule, policy: Policy) -> tuple[float, TimeUnit]:
    if step is Step.HANDLE:
        return rule.time_limit, rule.time_unit
    steps = policy.timers.steps
    value, unit = {
        Step.VERIFY: steps.verify, Step.ACCEPT: steps.accept, Step.DISPATCH: steps.dispatch,
        Step.CHECK: steps.check, Step.CLOSE: steps.check,
    }[step]
    return float(value), TimeUnit(unit)


def deadline_column(step: Step) -> str:
    return f"{step.value}_deadline"
