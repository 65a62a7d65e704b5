"""`/ws/{org_id}`: an org's live events over a WebSocket.

The client proves itself before the upgrade, with its access token in the
`Authorization` header, a `token` query parameter, or the dashboard's cookie (accepted
only from the product's own pages, as a browser sends cookies to any site's sockets).
Events come as `{"id", "type", "data"}`; a client that reconnects with `?since=<id>`
first gets what it missed, or a `resync` event when that is no longer kept.
"""

import logging
import re
import time

from flask import Blueprint, abort, current_app, g, request
from flask_jwt_extended import decode_token, get_jwt, verify_jwt_in_request
from flask_jwt_extended.exceptions import JWTExtendedException
from jwt import PyJWTError

from wfb.accounts.models import User
from wfb.dashboard.pages import own_origin
from wfb.extensions import db, sock
from wfb.live.events import EVERYONE, Event, broker, order
from wfb.tenancy import load_user

logger = logging.getLogger(__name__)
bp = Blueprint("live", __name__)
WAIT_SECONDS = 1.0
RECHECK_SECONDS = 10.0
EVENT_ID = r"\d{1,20}(-\d{1,20})?"


@bp.before_request
def authenticate():
    """Refuse a missing or foreign token with a plain HTTP answer, before upgrading."""
    org_id = (request.view_args or {}).get("org_id")
    try:
        claims = _claims()
    except (JWTExtendedException, PyJWTError):
        abort(401)
    if claims is None or claims.get("type") != "access":
        abort(401)
    user = load_user(claims)
    if user.org_id is None or user.org_id != org_id:
        abort(403)
    since = request.args.get("since", "")
    if since and not re.fullmatch(EVENT_ID, since):
        abort(400)
    # The socket holds no transaction open while it waits for events.
    db.session.remove()


def _claims() -> dict | None:
    header = request.headers.get("Authorization", "")
    token = header.removeprefix("Bearer ").strip() or request.args.get("token")
    if token:
        return decode_token(token)
    if request.cookies.get(current_app.config["JWT_ACCESS_COOKIE_NAME"]):
        origin = request.headers.get("Origin")
        if not origin or not own_origin(origin):
            return None
        verify_jwt_in_request(locations=["cookies"])
        return get_jwt()
    return None


@sock.route("/ws/<int:org_id>", bp=bp)
def stream(ws, org_id: int):
    """Push the org's events that this user may see until the client goes."""
    user = g.user
    user_id, sales, grant = user.id, user.role == "sales", _grant(user)
    logger.info("user %s listens to org %s", user_id, org_id)
    checked = time.monotonic()
    with broker().subscribe(org_id) as subscription:
        last = _catch_up(ws, org_id, request.args.get("since"), user_id, sales)
        while ws.connected and not subscription.dropped:
            if time.monotonic() - checked > RECHECK_SECONDS:
                if not _still_granted(user_id, grant):
                    break
                checked = time.monotonic()
            event = subscription.get(WAIT_SECONDS)
            if event is None or (last and order(event.id) <= order(last)):
                continue
            last = event.id
            if _visible(event, user_id, sales):
                ws.send(event.body())


def _grant(user: User | None) -> tuple | None:
    """What a socket was opened with: the user's org, role and token version, while
    the org is active. A change (a new role, a logout everywhere, a suspended org)
    closes the socket."""
    if user is None or user.org is None or not user.org.active:
        return None
    return user.org_id, user.role, user.token_version


def _still_granted(user_id: int, grant: tuple) -> bool:
    granted = _grant(db.session.get(User, user_id)) == grant
    db.session.remove()
    if not granted:
        logger.info("user %s lost access to the events it listened to", user_id)
    return granted


def _catch_up(ws, org_id: int, since: str | None, user_id, sales) -> str | None:
    if not since:
        return None
    missed = broker().since(org_id, since)
    if missed is None:
        ws.send(Event(since, "resync", {}).body())
        return None
    for event in missed:
        if _visible(event, user_id, sales):
            ws.send(event.body())
    return missed[-1].id if missed else since


def _visible(event: Event, user_id: int, sales: bool) -> bool:
    """Sales users hear only of conversations assigned to them."""
    if not sales:
        return True
    return event.audience != EVERYONE and event.audience == user_id
