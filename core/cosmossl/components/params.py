"""The base of every component's parameter model."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Params(BaseModel):
    """Parameters of a component, validated by pydantic.

    Subclass it inside your component as ``class Params(cosmossl.Params)`` and give every field a
    default and a description (``Field(..., description=...)``): ``cosmossl explain`` and
    ``docs/configuration.md`` show them. Unknown keys are an error.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)
