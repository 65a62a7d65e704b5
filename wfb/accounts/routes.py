from flask.views import MethodView
from flask_jwt_extended import create_access_token, get_jwt, verify_jwt_in_request
from flask_smorest import Blueprint

from wfb.accounts import limits, passwords, service
from wfb.accounts.schemas import (
    AccessTokenSchema,
    ForgotPasswordSchema,
    LoginSchema,
    MessageSchema,
    ResetPasswordSchema,
    SignupSchema,
    TokensSchema,
    UserSchema,
)
from wfb.tenancy import current_user, load_user, login_required

blp = Blueprint("auth", __name__, url_prefix="/auth", description="Accounts and tokens")
RESET_REQUESTED = (
    "If an account uses this email, a link to reset its password is on its way."
)


@blp.route("/signup")
class Signup(MethodView):
    decorators = limits.SIGNUP

    @blp.arguments(SignupSchema)
    @blp.response(201, TokensSchema)
    @blp.doc(security=[])
    def post(self, data):
        """Sign up: join the org that invited the email, or create a new org."""
        user = service.signup(
            data["organization_name"], data["name"], data["email"], data["password"]
        )
        return service.issue_tokens(user)


@blp.route("/login")
class Login(MethodView):
    decorators = limits.LOGIN

    @blp.arguments(LoginSchema)
    @blp.response(200, TokensSchema)
    @blp.doc(security=[])
    def post(self, data):
        """Log in with email and password to get access and refresh tokens."""
        user = service.authenticate(data["email"], data["password"])
        return service.issue_tokens(user)


@blp.route("/refresh")
class Refresh(MethodView):
    @blp.response(200, AccessTokenSchema)
    def post(self):
        """Get a new access token with a refresh token as Bearer."""
        verify_jwt_in_request(refresh=True)
        user = load_user(get_jwt())
        return {"access_token": create_access_token(identity=user)}


@blp.route("/logout")
class Logout(MethodView):
    decorators = [login_required()]

    @blp.response(204)
    def post(self):
        """Log out everywhere: every access and refresh token issued so far ends."""
        service.logout(current_user())


@blp.route("/forgot-password")
class ForgotPassword(MethodView):
    decorators = limits.FORGOT_PASSWORD

    @blp.arguments(ForgotPasswordSchema)
    @blp.response(202, MessageSchema)
    @blp.doc(security=[])
    def post(self, data):
        """Mail a password reset link; the answer is the same for any email."""
        passwords.request_reset(data["email"], passwords.reset_url())
        return {"message": RESET_REQUESTED}


@blp.route("/reset-password")
class ResetPassword(MethodView):
    decorators = limits.RESET_PASSWORD

    @blp.arguments(ResetPasswordSchema)
    @blp.response(200, MessageSchema)
    @blp.doc(security=[])
    def post(self, data):
        """Choose a new password with a reset token; earlier tokens stop working."""
        passwords.reset_password(data["token"], data["password"])
        return {"message": "Your password is changed; log in with the new one."}


@blp.route("/me")
class Me(MethodView):
    decorators = [login_required()]

    @blp.response(200, UserSchema)
    def get(self):
        """The logged-in user's profile."""
        return current_user()
