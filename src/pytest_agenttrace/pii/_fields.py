"""Which field names mark personal data, and which sibling keys mark a structure that is not a person.

Keys are compared normalized (lowercase, only letters and digits): `customerName`, `customer_name` and
`Customer-Name` are the same field. Each field has a kind that chooses the placeholder's shape.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

__all__ = [
    "AMBIGUOUS_NAME_FIELDS",
    "DEFAULT_PII_FIELDS",
    "PII_ATTRIBUTE_KEYS",
    "SECRET_FIELDS",
    "field_kinds",
    "infer_field_kind",
    "normalize_key",
]

_NAME = "name"
_EMAIL = "email"
_PHONE = "phone"
_ADDRESS = "address"

#: Field name -> kind. Documented defaults; `[tool.agenttrace] pii_fields` adds to them.
DEFAULT_PII_FIELDS: Mapping[str, str] = {
    # people
    "name": _NAME,
    "customer": _NAME,
    "customer_name": _NAME,
    "client_name": _NAME,
    "full_name": _NAME,
    "first_name": _NAME,
    "given_name": _NAME,
    "middle_name": _NAME,
    "last_name": _NAME,
    "surname": _NAME,
    "family_name": _NAME,
    "contact_name": _NAME,
    "recipient_name": _NAME,
    "sender_name": _NAME,
    "account_holder": _NAME,
    "cardholder": _NAME,
    "cardholder_name": _NAME,
    "patient_name": _NAME,
    "user_full_name": _NAME,
    # contact data
    "email": _EMAIL,
    "email_address": _EMAIL,
    "e_mail": _EMAIL,
    "customer_email": _EMAIL,
    "contact_email": _EMAIL,
    "user_email": _EMAIL,
    "phone": _PHONE,
    "phone_number": _PHONE,
    "telephone": _PHONE,
    "mobile": _PHONE,
    "mobile_number": _PHONE,
    "cell_phone": _PHONE,
    "customer_phone": _PHONE,
    "contact_phone": _PHONE,
    "fax": _PHONE,
    # postal addresses
    "address": _ADDRESS,
    "street": _ADDRESS,
    "street_address": _ADDRESS,
    "postal_address": _ADDRESS,
    "home_address": _ADDRESS,
    "shipping_address": _ADDRESS,
    "billing_address": _ADDRESS,
    "mailing_address": _ADDRESS,
    "address_line1": _ADDRESS,
    "address_line2": _ADDRESS,
    "postal_code": _ADDRESS,
    "postcode": _ADDRESS,
    "zip_code": _ADDRESS,
    # identifiers
    "ssn": "national_id",
    "social_security_number": "national_id",
    "national_id": "national_id",
    "passport_number": "national_id",
    "tax_id": "national_id",
    "date_of_birth": "birth_date",
    "dob": "birth_date",
    "birth_date": "birth_date",
    "birthdate": "birth_date",
}

#: Fields whose value is a credential whatever it looks like.
SECRET_FIELDS: frozenset[str] = frozenset(
    {
        "apikey",
        "api_key",
        "x_api_key",
        "access_token",
        "refresh_token",
        "id_token",
        "auth_token",
        "token",
        "secret",
        "client_secret",
        "password",
        "passwd",
        "authorization",
        "private_key",
        "session_token",
    }
)

#: Flattened OTel attribute names that hold personal data. Attribute names are otherwise never read as fields:
#: their last segment is too often a field name with another meaning (`server.address`, `gen_ai.tool.name`).
PII_ATTRIBUTE_KEYS: Mapping[str, str] = {
    "user.email": _EMAIL,
    "user.full_name": _NAME,
    "user.name": "username",
    "enduser.id": "user_id",
    "langfuse.user.id": "user_id",
    "user.id": "user_id",
}

#: Fields that hold a person's name only in a person's record: `name` also names tools, agents, models, products.
AMBIGUOUS_NAME_FIELDS: frozenset[str] = frozenset({"name", "customer"})

#: Parent keys that make a bare `name` a person's name (`{"customer": {"name": "Jane Doe"}}`).
PERSON_CONTAINERS: frozenset[str] = frozenset(
    {
        "customer",
        "client",
        "user",
        "contact",
        "person",
        "patient",
        "recipient",
        "sender",
        "owner",
        "author",
        "employee",
        "member",
        "passenger",
        "guest",
        "buyer",
        "seller",
        "accountholder",
        "cardholder",
        "customers",
        "contacts",
        "users",
        "people",
        "persons",
        "patients",
        "employees",
        "members",
        "passengers",
        "guests",
    }
)

#: Sibling keys that mark a dict as a structure (tool definition, message part, span, agent) rather than a person.
STRUCTURAL_SIBLINGS: frozenset[str] = frozenset(
    {
        "type",
        "role",
        "arguments",
        "args",
        "parameters",
        "function",
        "toolcallid",
        "callid",
        "inputschema",
        "schema",
        "description",
        "parts",
        "tools",
        "model",
        "version",
        "kind",
        "spanid",
        "traceid",
        "parentspanid",
        "parentid",
        "attributes",
        "properties",
        "required",
        "instructions",
        "handoffs",
    }
)

_NON_ALNUM = re.compile(r"[^a-z0-9]")

#: Field kinds that need a person-looking value (a `name` field holding `get_weather` is not a person).
NAME_KINDS: frozenset[str] = frozenset({_NAME})

#: Fields whose value is a family name (the fake comes from the family-name list).
FAMILY_NAME_FIELDS: frozenset[str] = frozenset({"lastname", "surname", "familyname"})


def normalize_key(key: str) -> str:
    """`customerName`, `customer_name`, `Customer-Name` -> `customername`."""
    return _NON_ALNUM.sub("", key.lower())


def infer_field_kind(field: str) -> str:
    """The kind of a user-declared field from its name (`shipping_email` -> email); `field` when nothing fits."""
    key = normalize_key(field)
    for marker, kind in (
        ("mail", _EMAIL),
        ("phone", _PHONE),
        ("mobile", _PHONE),
        ("address", _ADDRESS),
        ("street", _ADDRESS),
        ("name", _NAME),
    ):
        if marker in key:
            return kind
    return "field"


def field_kinds(fields: Mapping[str, str] | Iterable[str]) -> dict[str, str]:
    """Normalized field name -> kind, from a mapping (kinds given) or names (kinds inferred)."""
    if isinstance(fields, Mapping):
        return {normalize_key(k): str(v) for k, v in fields.items()}
    out: dict[str, str] = {}
    for f in fields:
        kind = DEFAULT_PII_FIELDS.get(f) or DEFAULT_PII_FIELDS.get(f.lower()) or infer_field_kind(f)
        out[normalize_key(f)] = kind
    return out
