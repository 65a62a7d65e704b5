from flask_smorest import Blueprint

blp = Blueprint("webhooks", __name__, description="Meta's webhooks")
