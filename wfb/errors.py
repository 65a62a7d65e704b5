"""One error shape for the whole API: smorest's, also for JWT and body-size errors."""

from http import HTTPStatus

from flask import jsonify
from werkzeug.exceptions import HTTPException

from wfb.extensions import jwt


class DomainError(Exception):
    """A refusal by a service: `message`, answered with the HTTP `status`."""

    status = 400

    def __init__(self, message: str, status: int | None = None, errors=None):
        super().__init__(message)
        self.message = message
        self.status = status or self.status
        self.errors = errors


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

    @app.errorhandler(RecursionError)
    def too_deep(error: RecursionError):
        message = "The request body is nested too deeply."
        return jsonify(error_body(400, message, "Bad Request")), 400

    @app.errorhandler(DomainError)
    def refused(error: DomainError):
        extra = {"errors": error.errors} if error.errors else {}
        phrase = HTTPStatus(error.status).phrase
        body = error_body(error.status, error.message, phrase, **extra)
        return jsonify(body), error.status


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
