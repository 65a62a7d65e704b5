from flask import Blueprint

bp = Blueprint("sandbox", __name__, url_prefix="/sandbox")
