"""Validators without extra dependencies."""

from wtforms.validators import StopValidation, ValidationError

from host.services.errors import DomainError
from host.services.validation import is_email


class PlainEmail:
    """Like WTForms' Email without the email_validator dependency or its DNS rules."""

    def __init__(self, message: str = "Enter an email address like name@example.com."):
        self.message = message

    def __call__(self, form, field):
        if field.data and not is_email(field.data.strip()):
            raise ValidationError(self.message)


class Checked:
    """Run a rule of ``host.services.validation`` on the field's data (the same rule the API and
    the services apply) and keep its clean value; its message becomes the field's error.

    ``Checked(validation.money, positive=True)``. Put it after ``InputRequired``/``Optional``;
    empty data is left to those.
    """

    def __init__(self, rule, **options):
        self.rule = rule
        self.options = options

    def __call__(self, form, field):
        if field.data in (None, ""):
            return
        try:
            field.data = self.rule(field.data, field.label.text, **self.options)
        except DomainError as exc:
            raise StopValidation(exc.message) from None
