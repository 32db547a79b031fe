"""Survey definitions: validation and helpers (see docs/surveys.md, "the definition format").

Pure module: no Django imports.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class DefinitionProblem:
    path: str
    reason: str


class DefinitionError(ValueError):
    def __init__(self, problems: list[DefinitionProblem]):
        self.problems = problems
        super().__init__("; ".join(f"{p.path}: {p.reason}" for p in problems))


def validate_definition(definition: dict) -> list[DefinitionProblem]:
    """Every problem of a definition, empty when it is valid (placeholder: checks the shape)."""
    if not isinstance(definition, dict):
        return [DefinitionProblem("", "a definition is a JSON object")]
    if not isinstance(definition.get("pages"), list):
        return [DefinitionProblem("pages", "must be a list of pages")]
    return []
