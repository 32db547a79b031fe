"""Helpers every app's JSON API shares: strict JSON parsing, reading a batch body, and
describing raw-parsed bodies in the OpenAPI document.

Batch endpoints parse their body themselves instead of through a ninja Schema, because a Schema
refuses the whole request for one bad item, while a batch must keep its good items and report
each bad one with its index, field and reason.
"""

import json
import math
import re
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.errors import HttpError
from ninja.parser import Parser
from ninja.responses import Status
from pydantic import BaseModel

from kesheng.core.ingest import IngestResult

# A "\u0000" escape preceded by an even number of backslashes is a NUL character, which
# PostgreSQL cannot store in text or jsonb.
_NUL_ESCAPE = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


def _refuse_constant(name: str) -> Any:
    raise ValueError(_("%(name)s is not a JSON number") % {"name": name})


def _finite_float(text: str) -> float:
    # json.loads reads a number beyond the float range (1e999) as infinity, which neither
    # PostgreSQL's jsonb nor SQLite's JSON check accepts.
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(_("%(number)s is too large a number to store") % {"number": text})
    return number


def parse_json(body: bytes) -> Any:
    """Decode a request body as strict JSON; ValueError with a reason a person can act on.

    Stricter than ``json.loads``: NaN and Infinity (also a number such as 1e999 that overflows
    to infinity), the NUL character and unpaired surrogates are refused here, because the
    database would otherwise fail on them with a 500.
    """
    if not body or not body.strip():
        raise ValueError(_("the body is empty"))
    try:
        # RFC 8259: JSON between systems is UTF-8 (json.loads would also guess UTF-16 and -32).
        data = json.loads(
            body.decode("utf-8"), parse_constant=_refuse_constant, parse_float=_finite_float
        )
    except RecursionError:
        raise ValueError(_("the JSON is nested too deeply")) from None
    except UnicodeDecodeError:
        raise ValueError(_("the body is not UTF-8 text")) from None
    except json.JSONDecodeError as error:
        raise ValueError(
            _("not valid JSON: %(reason)s at line %(line)s, column %(column)s")
            % {"reason": error.msg, "line": error.lineno, "column": error.colno}
        ) from None
    if b"\\u0000" in body and _NUL_ESCAPE.search(body):
        raise ValueError(_("text may not contain the NUL character (\\u0000)"))
    if _SURROGATE_ESCAPE.search(body):
        try:
            json.dumps(data, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError(_("text contains an unpaired UTF-16 surrogate escape")) from None
    return data


class StrictJsonParser(Parser):
    """ninja's body parser with ``parse_json``'s rules; ninja turns its errors into a 400."""

    def parse_body(self, request: HttpRequest) -> Any:
        return parse_json(request.body)


def read_batch(request: HttpRequest, *, envelope: str, max_items: int) -> list[Any]:
    """The items of a batch body: a JSON array, ``{envelope: [...]}`` or one object.

    The items themselves are not checked here (each is checked on its own, so one bad item
    does not refuse the rest). Raises HttpError 400 for a body that is not JSON, 413 for more
    than ``max_items`` items, 422 for JSON of another shape or an empty batch.
    """
    try:
        data = parse_json(request.body)
    except ValueError as error:
        raise HttpError(400, str(error)) from None
    if isinstance(data, dict) and envelope in data:
        extra = sorted(set(data) - {envelope})
        if extra:
            raise HttpError(
                422,
                _("unexpected key %(key)s beside %(envelope)s")
                % {"key": extra[0], "envelope": envelope},
            )
        data = data[envelope]
        if not isinstance(data, list):
            raise HttpError(422, _("%(envelope)s: must be a JSON array") % {"envelope": envelope})
    elif isinstance(data, dict):
        data = [data]
    elif not isinstance(data, list):
        raise HttpError(
            422,
            _('the body must be a JSON array, {"%(envelope)s": [...]} or one object')
            % {"envelope": envelope},
        )
    if not data:
        raise HttpError(422, _("the batch is empty"))
    if len(data) > max_items:
        raise HttpError(
            413,
            _("a batch holds at most %(max)s %(envelope)s; this one has %(count)s")
            % {"max": max_items, "envelope": envelope, "count": len(data)},
        )
    return data


def inline_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The model's JSON Schema with every ``$defs`` reference replaced by its definition, so it
    can sit anywhere in the OpenAPI document (``openapi_extra`` of a raw-parsed body)."""
    schema = model.model_json_schema()
    definitions = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            reference = node.get("$ref")
            if isinstance(reference, str) and reference.startswith("#/$defs/"):
                return resolve(definitions[reference.removeprefix("#/$defs/")])
            return {key: resolve(value) for key, value in node.items()}
        if isinstance(node, list):
            return [resolve(value) for value in node]
        return node

    return resolve(schema)


def batch_request_body(item: type[BaseModel], *, envelope: str, max_items: int) -> dict:
    """``openapi_extra`` describing a batch body: an array of items, {envelope: [...]}, or one."""
    item_schema = inline_schema(item)
    array = {"type": "array", "items": item_schema, "minItems": 1, "maxItems": max_items}
    return {
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "oneOf": [
                            array,
                            {
                                "type": "object",
                                "properties": {envelope: array},
                                "required": [envelope],
                                "additionalProperties": False,
                            },
                            item_schema,
                        ]
                    }
                }
            },
        }
    }


class ErrorOut(BaseModel):
    """Every refused request carries ``detail``; field errors add ``errors``."""

    detail: str


class FieldErrorOut(BaseModel):
    field: str
    reason: str


class ValidationErrorOut(ErrorOut):
    errors: list[FieldErrorOut]


class RejectionOut(BaseModel):
    index: int
    id: str | None
    field: str
    reason: str


class BatchResultOut(BaseModel):
    accepted: int
    duplicates: int
    rejected: list[RejectionOut]


class BatchRefusedOut(BatchResultOut):
    detail: str


BATCH_RESPONSES: dict[int, Any] = {
    200: BatchResultOut,
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    413: ErrorOut,
    422: BatchRefusedOut,
}


def batch_response(result: IngestResult, *, nothing_accepted: str) -> Status:
    """200 with the counts when anything was stored or already there; 422 with the same counts
    and ``nothing_accepted`` as detail when every item was rejected, so a client that only
    checks the status still notices."""
    body = result.as_dict()
    if result.accepted or result.duplicates:
        return Status(200, body)
    body["detail"] = nothing_accepted
    return Status(422, body)
