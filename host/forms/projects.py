from flask_wtf import FlaskForm
from wtforms import BooleanField, DecimalField, IntegerField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from host.forms.validators import Checked
from host.models.mixins import Money
from host.services import validation


class ProjectForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    client_id = SelectField("Client", coerce=int, validators=[DataRequired()])
    business_unit_id = SelectField("Business unit", coerce=int, validators=[DataRequired()])
    due_days = IntegerField(
        "Due days (blank: organization default)", validators=[Optional(), NumberRange(0, 365)])
    active = BooleanField("Active", default=True)
    submit = SubmitField("Save")


class ContractLineForm(FlaskForm):
    service_type_id = SelectField("Service type", coerce=int, validators=[DataRequired()])
    description = StringField("Description", validators=[Optional(), Length(max=500)])
    rate = DecimalField("Rate", places=2, validators=[
        InputRequired(), Checked(validation.number, column=Money, minimum=0)])
    gl_account_id = SelectField("GL account override", coerce=int)
    tax_rate_id = SelectField("Tax rate", coerce=int)
    class_label = StringField("Class / tracking", validators=[Optional(), Length(max=100)])
    submit = SubmitField("Add contract line")
