"""Unbound extensions, bound to the app in create_app."""

import flask_smorest
from flask_jwt_extended import JWTManager
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_smorest import Api
from flask_sock import Sock
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData
from webargs.flaskparser import FlaskParser, is_json_request

from wfb import strictjson

naming = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

db = SQLAlchemy(metadata=MetaData(naming_convention=naming))
migrate = Migrate()
jwt = JWTManager()
api = Api()
sock = Sock()
limiter = Limiter(key_func=get_remote_address, default_limits=[])


class StrictParser(FlaskParser):
    """Request bodies as strict JSON (`wfb.strictjson`): NaN, Infinity, NUL and lone
    surrogates are a 400 like any other malformed body."""

    def _raw_load_json(self, req):
        if not is_json_request(req):
            return super()._raw_load_json(req)
        return strictjson.loads(req.get_data(cache=True))


# Every blueprint of the API parses its arguments with it.
flask_smorest.Blueprint.ARGUMENTS_PARSER = StrictParser()
