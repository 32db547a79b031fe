"""Domain errors. Actions raise these; API handlers, views and commands turn them into 4xx,
exit codes or form errors. They never carry HTTP knowledge themselves."""

from dataclasses import dataclass


class DomainError(Exception):
    """Base of every error a user can cause and fix."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field

    def as_dict(self) -> dict:
        return {"field": self.field, "reason": self.message}


class NotFound(DomainError):
    """The thing named does not exist (or the caller may not see it)."""


class Conflict(DomainError):
    """The request clashes with the current state (a changed balance, a duplicate key)."""


@dataclass(frozen=True)
class FieldError:
    field: str
    reason: str

    def as_dict(self) -> dict:
        return {"field": self.field, "reason": self.reason}


class InvalidInput(DomainError):
    """One or more fields are wrong; ``errors`` names each with its reason."""

    def __init__(self, errors: list[FieldError]):
        self.errors = errors
        summary = "; ".join(f"{error.field}: {error.reason}" for error in errors)
        super().__init__(summary, field=errors[0].field if errors else None)
