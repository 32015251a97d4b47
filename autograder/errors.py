"""One base for "the lab or this machine cannot grade": the CLI turns any of them into one line and exit 3.

A learner's mistake is never one of these: it becomes that learner's score and reason, and the batch goes on.
"""
from __future__ import annotations


class LabkitSetupError(Exception):
    """The lab, the kit's configuration or the machine cannot grade (never a submission's fault)."""


class ManifestError(LabkitSetupError, ValueError):
    """lab.toml is missing, unreadable or wrong: one line naming the file, the question and the field."""


class ReferenceFailure(LabkitSetupError):
    """The reference solution does not pass its own tests: the lab is broken, not the students."""


class IsolationError(LabkitSetupError):
    """This machine cannot give the isolation the batch requires (or refuses to run learner code as it would)."""


class LabFileError(LabkitSetupError):
    """A lab's own file (mutant, variant, wheat, chaff, static check, hidden data) is missing or broken."""


class OutputError(LabkitSetupError):
    """The output folder cannot be used: not a folder, not writable, or held by another grading run."""
