"""Field types and the base model the API's schemas share."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "Id",
    "OrmModel",
    "Short",
    "Text",
    "Version",
]


Id = Annotated[int, Field(ge=1, le=2_147_483_647)]
Version = Annotated[int, Field(ge=1, le=2_147_483_647, description="Version you last read")]
Short = Annotated[str, Field(max_length=200)]
Text = Annotated[str, Field(max_length=20_000)]


class OrmModel(BaseModel):
    """A response model read from an ORM row's attributes."""

    model_config = ConfigDict(from_attributes=True)
