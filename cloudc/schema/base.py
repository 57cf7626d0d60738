"""Shared building blocks of the config models."""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass
from functools import cache
from typing import Annotated, Any, Literal, Union

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    StringConstraints,
    ValidationInfo,
    field_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError
from pydantic_core import core_schema as cs

INTERP_PATTERN = r"^\$\{[^{}]+\}$"
NAME_PATTERN = r"^[a-z0-9][a-z0-9_-]*$"
REF_PATTERN = r"^[a-z_]+\.[A-Za-z0-9_.-]+$"


@dataclass(frozen=True)
class Interpolable:
    """Let the JSON Schema also accept a `${...}` string where a number or boolean goes."""

    def __get_pydantic_json_schema__(
        self, schema: cs.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        inner = handler(schema)
        return {"anyOf": [inner, {"type": "string", "pattern": INTERP_PATTERN}]}


Int = Annotated[int, Interpolable()]
PosInt = Annotated[int, Field(ge=1), Interpolable()]
NonNegInt = Annotated[int, Field(ge=0), Interpolable()]
Bool = Annotated[bool, Interpolable()]
Number = Annotated[float, Interpolable()]
Name = Annotated[str, StringConstraints(pattern=NAME_PATTERN)]
RefStr = Annotated[str, StringConstraints(pattern=REF_PATTERN)]
Access = Literal["read", "write", "read-write"]


class Model(BaseModel):
    """Base of every config model: unknown keys are errors, names are as the user writes them."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, strict=False, defer_build=True)

    @field_validator("*", mode="before")
    @classmethod
    def _no_bool_for_numbers(cls, value: Any, info: ValidationInfo) -> Any:
        """Refuse `true`/`false` where a number goes: pydantic's lax mode reads them as 1 and 0.

        A field-level check, so the JSON Schema and the fields' own bounds stay as they are.
        """
        if isinstance(value, bool) and info.field_name is not None:
            kind = _field_number_kind(cls, info.field_name)
            if kind in ("int", "float"):
                raise PydanticCustomError(f"{kind}_type", f"Input should be a valid {kind}")
        elif (isinstance(value, (str, int)) and info.field_name is not None
              and _field_number_kind(cls, info.field_name) == "bool"):
            return _strict_bool(value)
        return value


def _strict_bool(value: str | int) -> bool:
    """Read a boolean field's text as YAML 1.2 does: only `true`/`True`/`TRUE` and `false`/...
    (a `${env:...}` gives text); `yes`, `on`, `1` are not booleans (docs/config.md)."""
    if isinstance(value, str) and value in ("true", "True", "TRUE", "false", "False", "FALSE"):
        return value.lower() == "true"
    raise PydanticCustomError("bool_type", "Input should be `true` or `false` (`yes`, `on` and "
                              "numbers are not booleans)")


@cache
def _field_number_kind(model: type[BaseModel], field: str) -> str | None:
    """Return "int" or "float" when a field takes a number but not a boolean, "bool" when it
    takes only a boolean, else None."""
    kinds: set[Any] = set()
    todo: list[Any] = [model.model_fields[field].annotation]
    while todo:
        a = todo.pop()
        origin = typing.get_origin(a)
        if origin is Annotated:
            todo.append(typing.get_args(a)[0])
        elif origin in (Union, types.UnionType):
            todo.extend(typing.get_args(a))
        else:
            kinds.add(a)
    if kinds == {bool} or kinds == {bool, type(None)}:
        return "bool"
    if bool in kinds or Any in kinds:
        return None
    if int in kinds:
        return "int"
    return "float" if float in kinds else None


class LinkSpec(Model):
    """A link with an access level."""

    to: RefStr = Field(description="The resource to link, as `section.name`.")
    access: Access = Field("read-write", description="read | write | read-write")


Link = Union[RefStr, LinkSpec]  # noqa: UP007 - pydantic reads this alias at runtime


class Tagged(Model):
    """Mixin for entries that accept their own tags."""

    tags: dict[str, str] = Field(default_factory=dict, description="Extra tags for this entry.")


def link_target(link: Any) -> tuple[str, str]:
    """Return (`section.name`, access) of a link entry."""
    if isinstance(link, LinkSpec):
        return link.to, link.access
    return str(link), "read-write"


@dataclass(frozen=True)
class FileField:
    """A field that names a file or folder of the project, checked before lowering (paths.py).

    A section lists its own in `PATHS`. `at` is the field's path below an entry (`"*"`
    matches every key of a map); `only` narrows the values checked: `"dockerfile"` (values
    that name a Dockerfile, not an image) or `"relative"` (values starting `./` or `../`).
    """

    at: tuple[str, ...]
    kind: Literal["file", "folder"]
    what: str  # how messages name it: "code folder"
    only: Literal["", "dockerfile", "relative"] = ""
