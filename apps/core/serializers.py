"""Serializer base classes shared by every app's API."""

from typing import Any

from rest_framework import serializers


class StrictInputSerializer(serializers.Serializer):
    """Rejects fields it does not declare, so a typo never passes silently."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError(
                    {name: serializers.ErrorDetail("Unknown field.", code="unknown_field") for name in unknown}
                )
        return super().to_internal_value(data)
