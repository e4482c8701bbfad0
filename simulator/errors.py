"""The project's exceptions: one base class, one subclass per kind of mistake."""

from __future__ import annotations


class LoopsimError(Exception):
    """Base class of every error raised on purpose by loopsim."""


class ConfigError(LoopsimError, ValueError):
    """A configuration value is out of range or of the wrong kind.

    The message names the field, the value and what is allowed.
    """


class ContractError(LoopsimError):
    """A user's component (world, click model, policy...) breaks its contract.

    Raised by the checkers (:func:`~loopsim.simulator.check_world`,
    :func:`~loopsim.simulator.check_click_model`, :func:`~loopsim.simulator.check_policy`):
    the message names the check, the component, what was found and the likely fix.
    """


class PolicyContractError(ContractError):
    """A ranking policy returned something that breaks the policy contract.

    The message names the policy, the simulated time, the offending row and the likely fix.
    """


class PolicyRuntimeError(LoopsimError):
    """A ranking policy raised an exception while ranking or updating.

    The original exception is chained as ``__cause__``.
    """


class DataError(LoopsimError, ValueError):
    """An input file is malformed; the message names the file, the line and the reason."""


class UnsafePathError(LoopsimError):
    """loopsim refused to write to a path: a symbolic link, a special file (device, fifo,
    socket), a folder, or an existing file it was not told to replace.

    The message names the path, what it is and the fix.
    """


class RunAborted(LoopsimError):
    """A run's process ended without finishing: killed (SIGKILL, out of memory) or left
    through ``os._exit``; the message names how it ended."""
