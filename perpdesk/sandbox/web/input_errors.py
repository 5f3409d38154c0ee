"""Errors the sandbox's pages show: what is wrong with which field, and what to do.

The sandbox is an exchange of its own and imports nothing from the platform; these mirror the
platform's typed errors only in spirit."""

from __future__ import annotations


class PageError(Exception):
    """A refusal a page shows in plain words, with the next step."""

    def __init__(self, message: str, *, next_step: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.next_step = next_step


class InputError(PageError):
    """Bad input from a form: names the field, what is wrong and what to do."""

    def __init__(self, field: str, problem: str, fix: str) -> None:
        super().__init__(f"{field}: {problem}", next_step=fix)
        self.field = field
