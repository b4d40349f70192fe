from wtforms import EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, ValidationError

from crm.auth.passwords import MAX_LENGTH, PasswordPolicyError, check_password_policy
from crm.auth.roles import Role
from crm.forms import BaseForm, strip


class PasswordPolicy:
    """Apply the password policy; the form may name the account via `policy_email`/`policy_name`."""

    def __call__(self, form, field):
        try:
            check_password_policy(
                field.data or "",
                email=getattr(form, "policy_email", ""),
                name=getattr(form, "policy_name", ""),
            )
        except PasswordPolicyError as exc:
            raise ValidationError(str(exc)) from exc


def new_password_fields():
    password = PasswordField(
        "New password",
        [DataRequired(), PasswordPolicy()],
        description="At least 8 characters. A few unrelated words make a strong password.",
        render_kw={"autocomplete": "new-password", "maxlength": MAX_LENGTH},
    )
    confirm = PasswordField(
        "Repeat the new password",
        [DataRequired(), EqualTo("password", message="The two passwords are not the same.")],
        render_kw={"autocomplete": "new-password"},
    )
    return password, confirm


class LoginForm(BaseForm):
    email = EmailField(
        "Email",
        [DataRequired(), Length(max=254)],
        filters=[strip],
        render_kw={"autocomplete": "username"},
    )
    password = PasswordField(
        "Password",
        [DataRequired(), Length(max=MAX_LENGTH)],
        render_kw={"autocomplete": "current-password"},
    )


class TwoFactorForm(BaseForm):
    code = StringField(
        "6-digit code from your authenticator app",
        [DataRequired(), Length(min=6, max=7)],
        filters=[strip],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"},
    )


class ForgotPasswordForm(BaseForm):
    email = EmailField("Email", [DataRequired(), Email(), Length(max=254)], filters=[strip])


class SetPasswordForm(BaseForm):
    password, confirm = new_password_fields()


class ChangePasswordForm(BaseForm):
    current_password = PasswordField(
        "Current password",
        [DataRequired(), Length(max=MAX_LENGTH)],
        render_kw={"autocomplete": "current-password"},
    )
    password, confirm = new_password_fields()


class DisableTwoFactorForm(BaseForm):
    password = PasswordField(
        "Your password",
        [DataRequired(), Length(max=MAX_LENGTH)],
        render_kw={"autocomplete": "current-password"},
    )


ROLE_CHOICES = {r.value: r.label for r in Role}


class InviteForm(BaseForm):
    name = StringField("Name", [DataRequired(), Length(max=120)], filters=[strip])
    email = EmailField("Email", [DataRequired(), Email(), Length(max=254)], filters=[strip])
    # No default: an admin chooses the role deliberately rather than inviting an admin by accident.
    role = SelectField(
        "Role", choices={"": "Choose a role", **ROLE_CHOICES}, validators=[DataRequired()]
    )


class UserEditForm(BaseForm):
    name = StringField("Name", [DataRequired(), Length(max=120)], filters=[strip])
    role = SelectField("Role", choices=ROLE_CHOICES, validators=[DataRequired()])
