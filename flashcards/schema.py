"""JSON Schemas of the source files, so editors validate and complete while people type."""

from __future__ import annotations

from typing import Any

from flashcards.models import SCHEMAS

SCHEMA_URI = "https://json-schema.org/draft/2020-12/schema"


def json_schemas() -> dict[str, dict[str, Any]]:
    result = {}
    for name, model in SCHEMAS.items():
        schema = model.model_json_schema()
        schema["$schema"] = SCHEMA_URI
        schema["title"] = f"flashcards {name}.yaml"
        result[name] = schema
    return result
