"""Turn failures into one line on stderr and an exit code."""

from __future__ import annotations

from pydantic import ValidationError

from bot.settings import Settings


def _env_name(field: str) -> str:
    info = Settings.model_fields.get(field)
    alias = info.validation_alias if info is not None else None
    choices = getattr(alias, "choices", None)
    if choices:
        return str(choices[0])
    return f"UNDERTONE_{field.upper()}"


def describe_settings_error(exc: ValidationError) -> str:
    """Describe the first invalid setting by its environment variable."""
    first = exc.errors()[0]
    field = str(first["loc"][0]) if first["loc"] else "settings"
    message = str(first["msg"]).removeprefix("Value error, ")
    return f"setting {_env_name(field)} is invalid: {message}"
