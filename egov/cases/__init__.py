"""The case kernel: the one way to run a state change on a case (a dossier, an outgoing or an
incoming document, and the meetings, feedback and reports to come). See kernel.py."""

from .error_codes import CaseErrorCode
from .kernel import Action, CaseType, Transition, TransitionRefused, begin, perform

__all__ = [
    "Action",
    "CaseErrorCode",
    "CaseType",
    "Transition",
    "TransitionRefused",
    "begin",
    "perform",
]
