"""Types and validation errors in words: constrained types, choices, cross-field validators."""

from __future__ import annotations

from typing import Annotated, Literal

import pytest
from pydantic import Field, PositiveInt, model_validator

import cosmossl
from cosmossl._util.validation import describe_field, field_type, type_label, validate_model


class Demo(cosmossl.Params):
    widths: list[PositiveInt] | None = Field(None, description="Widths.")
    transform: Literal["log1p", "delta"] = Field("log1p", description="What the maps hold.")
    fraction: float = Field(0.5, gt=0, le=1, description="A fraction.")
    steps: int | None = Field(None, ge=1, description="Optional count.")
    names: list[str] = Field(["a"], min_length=1, max_length=3)
    pair: tuple[float, float] = (0.0, 1.0)
    scaled: Annotated[int, Field(multiple_of=8)] = 16
    low: float = 0.0
    high: float = 1.0

    @model_validator(mode="after")
    def _ordered(self):
        if self.high < self.low:
            raise ValueError("high must be ≥ low")
        return self


@pytest.mark.parametrize(
    ("key", "label"),
    [
        ("widths", "list[int > 0] | None"),
        ("transform", "Literal['log1p', 'delta']"),
        ("fraction", "0 < float <= 1"),
        ("steps", "int >= 1 | None"),
        ("names", "list[str] (length 1 to 3)"),
        ("pair", "tuple[float, float]"),
        ("scaled", "int (multiple of 8)"),
    ],
)
def test_field_types_read_as_written(key, label):
    assert field_type(Demo, key) == label


def test_type_label_of_nested_containers():
    assert type_label(dict[str, tuple[float, ...]]) == "dict[str, tuple[float, ...]]"


def test_describe_field_gives_type_and_default():
    assert describe_field(Demo, "fraction") == "0 < float <= 1, default 0.5"


def test_cross_field_error_names_the_keys_and_their_values():
    with pytest.raises(cosmossl.ConfigError) as info:
        validate_model(Demo, {"low": 2.0, "high": 1.0}, where="[thing]")
    message = str(info.value)
    assert message == (
        "[thing] keys 'low', 'high': high must be ≥ low (given low = 2.0, high = 1.0)."
    )
    assert "key ''" not in message and "Value error" not in message


def test_cross_field_error_shows_defaults_it_involves():
    with pytest.raises(cosmossl.ConfigError) as info:
        validate_model(Demo, {"low": 2.0}, where="[thing]")
    assert "(given low = 2.0, high = 1.0 (default))" in str(info.value)


def test_list_item_error_points_at_the_item():
    with pytest.raises(cosmossl.ConfigError) as info:
        validate_model(Demo, {"widths": [8, -1]}, where="[thing]")
    assert str(info.value) == (
        "[thing] key 'widths[1]': Input should be greater than 0, got -1 "
        "(expected list[int > 0] | None, default None)."
    )


def test_builtin_cross_field_errors_name_the_fields():
    with pytest.raises(cosmossl.ConfigError) as info:
        cosmossl.create("augmentation", "mask", min_patches=3, max_patches=1)
    assert str(info.value) == (
        "augmentation 'mask': keys 'min_patches', 'max_patches': max_patches must be ≥ "
        "min_patches (given min_patches = 3, max_patches = 1)."
    )
