"""Validators without extra dependencies."""

import re

from wtforms.validators import ValidationError

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def is_email(value: str) -> bool:
    """A plausible address (one @, a dot in the domain). Reserved test domains are fine."""
    return bool(_EMAIL.match(value or ""))


class PlainEmail:
    """Like WTForms' Email without the email_validator dependency or its DNS rules."""

    def __init__(self, message: str = "Enter an email address like name@example.com."):
        self.message = message

    def __call__(self, form, field):
        if field.data and not is_email(field.data.strip()):
            raise ValidationError(self.message)
