from flask.views import MethodView
from flask_jwt_extended import create_access_token, get_jwt, verify_jwt_in_request
from flask_smorest import Blueprint, abort

from wfb.accounts import service
from wfb.accounts.schemas import (
    AccessTokenSchema,
    LoginSchema,
    SignupSchema,
    TokensSchema,
    UserSchema,
)
from wfb.extensions import db, limiter
from wfb.tenancy import current_user, load_user, login_required

blp = Blueprint("auth", __name__, url_prefix="/auth", description="Accounts and tokens")


@blp.route("/signup")
class Signup(MethodView):
    decorators = [limiter.limit("10 per minute")]

    @blp.arguments(SignupSchema)
    @blp.response(201, TokensSchema)
    def post(self, data):
        """Register a new organization and its first admin."""
        if service.find_user(data["email"]):
            abort(409, message="An account with this email already exists.")
        user = service.create_org_with_admin(
            data["organization_name"], data["name"], data["email"], data["password"]
        )
        db.session.commit()
        return service.issue_tokens(user)


@blp.route("/login")
class Login(MethodView):
    decorators = [limiter.limit("10 per minute")]

    @blp.arguments(LoginSchema)
    @blp.response(200, TokensSchema)
    def post(self, data):
        """Log in with email and password to get access and refresh tokens."""
        user = service.find_user(data["email"])
        if user is None or not user.check_password(data["password"]):
            abort(401, message="Wrong email or password.")
        if user.role == "super_admin":
            abort(401, message="Super admins log in at /super-admin/login.")
        if not user.org.active:
            abort(403, message="This organization is not active.")
        return service.issue_tokens(user)


@blp.route("/refresh")
class Refresh(MethodView):
    @blp.response(200, AccessTokenSchema)
    @blp.doc(security=[{"bearerAuth": []}])
    def post(self):
        """Get a new access token with a refresh token as Bearer."""
        verify_jwt_in_request(refresh=True)
        user = load_user(get_jwt())
        return {"access_token": create_access_token(identity=user)}


@blp.route("/me")
class Me(MethodView):
    decorators = [login_required()]

    @blp.response(200, UserSchema)
    @blp.doc(security=[{"bearerAuth": []}])
    def get(self):
        """The logged-in user's profile."""
        return current_user()
