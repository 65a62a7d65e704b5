from flask_smorest import Blueprint

blp = Blueprint("flows", __name__, url_prefix="/flows", description="Chatbot flows")
