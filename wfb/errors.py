"""One error shape for the whole API: smorest's, also for JWT and body-size errors."""

from flask import jsonify
from werkzeug.exceptions import HTTPException

from wfb.extensions import jwt


def error_body(code: int, message: str, status: str, **extra) -> dict:
    return {"code": code, "status": status, "message": message, **extra}


def register_error_handlers(app) -> None:
    @app.errorhandler(413)
    def too_large(error: HTTPException):
        body = error_body(413, "The request body is too large.", "Payload Too Large")
        return jsonify(body), 413

    @app.errorhandler(429)
    def too_many(error: HTTPException):
        message = f"Too many requests: {error.description}"
        return jsonify(error_body(429, message, "Too Many Requests")), 429


def _unauthorized(message: str):
    return jsonify(error_body(401, message, "Unauthorized")), 401


@jwt.unauthorized_loader
def _missing_token(reason: str):
    return _unauthorized(f"Missing or unreadable credentials: {reason}")


@jwt.invalid_token_loader
def _invalid_token(reason: str):
    return _unauthorized(f"Invalid token: {reason}")


@jwt.expired_token_loader
def _expired_token(_header, _payload):
    return _unauthorized("The token has expired.")


@jwt.needs_fresh_token_loader
def _stale_token(_header, _payload):
    return _unauthorized("A fresh login is needed.")


@jwt.revoked_token_loader
def _revoked_token(_header, _payload):
    return _unauthorized("The token has been revoked.")
