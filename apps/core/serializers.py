"""Serializer base classes shared by every app's API."""

import re
from typing import Any

from django.http import QueryDict
from rest_framework import serializers

# The JSON type each field kind takes. DRF coerces on its own (5 -> "5" for a CharField, "yes" ->
# True for a BooleanField); a JSON API that documents `type: string` must refuse the number, or
# the schema lies and a typo (or an attack on a parser) passes silently.
_STRING_FIELDS = (
    serializers.CharField,
    serializers.UUIDField,
    serializers.DateTimeField,
    serializers.DateField,
    serializers.TimeField,
    serializers.DurationField,
)
_JSON_TYPES: tuple[tuple[type, tuple[type, ...], str], ...] = (
    (serializers.BooleanField, (bool,), "a boolean"),
    (serializers.IntegerField, (int,), "an integer"),
    (serializers.FloatField, (int, float), "a number"),
    (serializers.MultipleChoiceField, (list,), "an array"),
    (serializers.ListField, (list,), "an array"),
    (serializers.ListSerializer, (list,), "an array"),
    (serializers.DictField, (dict,), "an object"),
    (serializers.Serializer, (dict,), "an object"),
    (_STRING_FIELDS, (str,), "a string"),
)


_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_PCHAR = r"(?:[A-Za-z0-9\-._~!$&'()*+,;=:@]|%[0-9A-Fa-f]{2})"
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
DOMAIN_HOST = rf"(?:{_LABEL}\.){{1,126}}[A-Za-z]{{2,24}}"
ANY_SCHEME = r"(?:[Hh][Tt][Tt][Pp][Ss]?|[Ff][Tt][Pp][Ss]?)"


def url_pattern(
    *, schemes: str = ANY_SCHEME, host: str = rf"(?:{DOMAIN_HOST}|localhost|{_OCTET}(?:\.{_OCTET}){{3}})"
) -> str:
    """The URLs a JSON input takes: these schemes, a host name with a top-level domain (at most
    253 characters, as Django says), localhost or an IPv4 address, an optional port, then RFC 3986
    path, query and fragment characters only. A subset of both Django's URLValidator (which lets
    control characters through) and `format: uri`, so the schema (apps/core/schema.py) states it
    exactly."""
    return (
        rf"^{schemes}://(?=[^/?#:]{{1,253}}(?:[:/?#]|$)){host}(?::[0-9]{{1,4}})?"
        rf"(?:/{_PCHAR}*)*(?:\?(?:{_PCHAR}|[/?])*)?(?:#(?:{_PCHAR}|[/?])*)?$"
    )


URL_PATTERN = url_pattern()
_URL = re.compile(URL_PATTERN)


def json_type_error(field: serializers.Field, value: Any) -> str | None:
    """What ``value`` should have been, if its JSON type is not the one ``field`` documents."""
    if value is None:
        return None  # allow_null is the field's own business
    if isinstance(field, serializers.ChoiceField) and not isinstance(field, serializers.MultipleChoiceField):
        kinds = {type(key) for key in field.choices}
        if kinds == {str} and not isinstance(value, str):
            return "a string"
        if kinds == {int} and (not isinstance(value, int) or isinstance(value, bool)):
            return "an integer"
        return None
    for field_class, json_types, name in _JSON_TYPES:
        if isinstance(field, field_class):
            if isinstance(value, bool) and bool not in json_types:
                return name  # True is an int in Python, not in JSON
            return None if isinstance(value, json_types) else name
    return None


def _bad_url(value: Any) -> bool:
    return isinstance(value, str) and bool(value) and not _URL.match(value)


class StrictInputSerializer(serializers.Serializer):
    """Rejects fields it does not declare, so a typo never passes silently, and (for JSON bodies)
    values of another JSON type than the field's: what the OpenAPI schema says is what is taken."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            errors: dict[str, Any] = {
                name: serializers.ErrorDetail("Unknown field.", code="unknown_field")
                for name in sorted(set(data) - set(self.fields))
            }
            if not isinstance(data, QueryDict):  # form fields are all strings; only JSON has types
                for name, field in self.fields.items():
                    expected = json_type_error(field, data.get(name)) if name in data and not field.read_only else None
                    if expected:
                        errors[name] = serializers.ErrorDetail(f"Expected {expected}.", code="invalid")
                    elif isinstance(field, serializers.URLField) and _bad_url(data.get(name)):
                        errors[name] = serializers.ErrorDetail("Enter a valid URL.", code="invalid")
            if errors:
                raise serializers.ValidationError(errors)
        return super().to_internal_value(data)
