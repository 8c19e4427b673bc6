"""safer's error base and the errors of its core package (each carries its data)."""

from __future__ import annotations


class SaferError(Exception):
    """Base of every error safer raises on purpose."""


class ConfigError(SaferError):
    """The configuration cannot work (missing URL, bad value)."""


class StackError(SaferError):
    """A component of the local stack failed to start or stay up."""

    def __init__(self, component: str, detail: str) -> None:
        super().__init__(f"{component}: {detail}")
        self.component = component
        self.detail = detail
