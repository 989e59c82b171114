"""The closed-loop case engine (pure) and its database service."""

from models.lifecycle.actions import RULES, Action
from models.lifecycle.engine import Ctx, FlowEntry, Params, apply, available_actions, check_allowed
from models.lifecycle.errors import (CaseError, IllegalTransition, MissingInput, NotPermitted, OutOfScope,
                                     VersionConflict)
from models.lifecycle.intake import open_case
from models.lifecycle.limits import ClassRule

__all__ = ["Action", "CaseError", "ClassRule", "Ctx", "FlowEntry", "IllegalTransition", "MissingInput",
           "NotPermitted", "OutOfScope", "Params", "RULES", "VersionConflict", "apply", "available_actions",
           "check_allowed", "open_case"]
