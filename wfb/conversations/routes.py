from flask import Response, url_for
from flask_smorest import Blueprint, abort
from sqlalchemy import select

from wfb.accounts.models import User
from wfb.contacts.models import Contact
from wfb.conversations import inbox, outbox
from wfb.conversations.models import Conversation, MediaFile, Message
from wfb.conversations.schemas import (
    AssignSchema,
    ConversationPageSchema,
    ConversationSchema,
    HistoryArgsSchema,
    HistorySchema,
    InboxMessageSchema,
    ListArgsSchema,
    NumberArgsSchema,
    SendSchema,
)
from wfb.extensions import db
from wfb.paging import page_body, page_of
from wfb.phone_numbers.models import PhoneNumber
from wfb.tenancy import (
    current_org_id,
    current_user,
    get_or_404,
    login_required,
    scoped,
)

blp = Blueprint(
    "conversations",
    __name__,
    url_prefix="/conversations",
    description="The shared inbox: every conversation of the org's numbers",
)
members = login_required("admin", "marketing", "sales")


@blp.route("")
@members
@blp.arguments(ListArgsSchema, location="query")
@blp.response(200, ConversationPageSchema)
def conversations(args):
    """The conversations the caller may see, most recent first; sales users see only
    those assigned to them."""
    query = inbox.listing(current_user(), current_org_id(), args)
    found, total = page_of(query, args["page"], args["page_size"])
    return page_body(conversation_bodies(found), total, args)


@blp.route("/<string:number>/messages")
@members
@blp.arguments(HistoryArgsSchema, location="query")
@blp.response(200, HistorySchema)
def messages(args, number):
    """A conversation's messages, newest first, a page at a time: pass `next_cursor`
    back as `before` for the page before."""
    conversation = found(number, args)
    items, cursor = inbox.history(conversation, args.get("before"), args["limit"])
    return {
        "conversation": conversation_bodies([conversation])[0],
        "items": message_bodies(items),
        "next_cursor": cursor,
    }


@blp.route("/send", methods=["POST"])
@members
@blp.arguments(SendSchema)
@blp.response(201, InboxMessageSchema)
def send(data):
    """Send a text, media or template to a customer and answer the message with its
    wamid and status. A free-form message needs the customer to have written in the
    last 24 hours (422 otherwise, and nothing is sent); a sales user writes only in
    conversations assigned to them."""
    user, org_id = current_user(), current_org_id()
    number = get_or_404(PhoneNumber, data["phone_number_id"], what="phone number")
    phone = inbox.customer_phone(org_id, data["to"], user.org.default_country)
    if phone is None:
        abort(422, message=f"'{data['to']}' is not a valid phone number.")
    contact = db.session.scalar(
        select(Contact).where(Contact.org_id == org_id, Contact.phone == phone)
    )
    if contact is None:
        contact = Contact(org_id=org_id, phone=phone, name="", tags=[], attributes={})
        db.session.add(contact)
        db.session.flush()
    conversation = inbox.start_or_find(org_id, number, contact)
    previous = conversation.assigned_user_id
    # A salesperson writes only in the conversations given to them.
    if user.role == "sales" and previous != user.id:
        abort(404, message=f"No conversation with {data['to']} is assigned to you.")

    message = inbox.reply(conversation, inbox.payload_for(contact, data), user)
    inbox.changed(conversation, previous)
    db.session.commit()
    outbox.deliver(conversation.id)
    db.session.refresh(message)
    return message_bodies([message])[0]


@blp.route("/<string:number>/assign", methods=["POST"])
@members
@blp.arguments(AssignSchema)
@blp.arguments(NumberArgsSchema, location="query")
@blp.response(200, ConversationSchema)
def assign(data, args, number):
    """Give the conversation to a member of the org (`user_id` null: to nobody); a
    person who has it answers instead of automation."""
    conversation = found(number, args)
    member = None
    if data["user_id"] is not None:
        member = db.session.scalar(scoped(User).where(User.id == data["user_id"]))
        if member is None:
            abort(422, message=f"No member with id {data['user_id']} in this org.")
    return act(conversation, inbox.assign, member)


@blp.route("/<string:number>/hand-back", methods=["POST"])
@members
@blp.arguments(NumberArgsSchema, location="query")
@blp.response(200, ConversationSchema)
def hand_back(args, number):
    """Hand the conversation back to automation: flows and bots answer again."""
    return act(found(number, args), inbox.hand_back)


@blp.route("/<string:number>/close", methods=["POST"])
@members
@blp.arguments(NumberArgsSchema, location="query")
@blp.response(200, ConversationSchema)
def close(args, number):
    """Close the conversation; the customer's next message opens it again."""
    return act(found(number, args), inbox.close)


@blp.route("/<string:number>/read", methods=["POST"])
@members
@blp.arguments(NumberArgsSchema, location="query")
@blp.response(200, ConversationSchema)
def read(args, number):
    """Mark the conversation read, and tell Meta, so the customer sees blue ticks."""
    conversation = found(number, args)
    body = act(conversation, inbox.mark_read)
    inbox.tell_meta_read(conversation)
    return body


@blp.route("/<string:number>/media/<int:message_id>")
@members
@blp.arguments(NumberArgsSchema, location="query")
@blp.response(200, {"format": "binary", "type": "string"}, content_type="*/*")
def media(args, number, message_id):
    """The media of an inbound message, as WFB stored it from Meta."""
    conversation = found(number, args)
    stored = db.session.scalar(
        select(MediaFile)
        .join(Message, Message.id == MediaFile.message_id)
        .where(
            MediaFile.org_id == conversation.org_id,
            Message.conversation_id == conversation.id,
            MediaFile.message_id == message_id,
            MediaFile.status == "stored",
        )
    )
    if stored is None:
        abort(404, message=f"No stored media for message {message_id}.")
    headers = {
        "Cache-Control": "private, max-age=86400",
        "X-Content-Type-Options": "nosniff",
        # Shown inline only where a browser cannot run it; anything else downloads.
        "Content-Disposition": inbox.disposition(stored),
    }
    return Response(stored.data, mimetype=stored.mime_type, headers=headers)


def found(number: str, args: dict) -> Conversation:
    user, org_id = current_user(), current_org_id()
    return inbox.find(user, org_id, number, args.get("phone_number_id"))


def act(conversation: Conversation, change, *args) -> dict:
    previous = conversation.assigned_user_id
    change(conversation, *args)
    inbox.changed(conversation, previous)
    db.session.commit()
    return conversation_bodies([conversation])[0]


def person(user: User | None) -> dict | None:
    return {"id": user.id, "name": user.name} if user else None


def conversation_bodies(conversations: list[Conversation]) -> list[dict]:
    """Each conversation as the API shows it, with its contact and last message."""
    if not conversations:
        return []
    org_id = conversations[0].org_id
    ids = [c.id for c in conversations]
    latest = {
        message.conversation_id: message
        for message in db.session.scalars(
            select(Message).where(
                Message.org_id == org_id,
                Message.id.in_(
                    select(db.func.max(Message.id))
                    .where(Message.org_id == org_id, Message.conversation_id.in_(ids))
                    .group_by(Message.conversation_id)
                ),
            )
        )
    }
    users = people({c.assigned_user_id for c in conversations})
    bodies = []
    for conversation in conversations:
        contact = conversation.contact
        last = latest.get(conversation.id)
        bodies.append(
            {
                "id": conversation.id,
                "phone_number_id": conversation.phone_number_id,
                "contact": {
                    "id": contact.id,
                    "name": contact.name,
                    "phone": contact.phone,
                    "wa_id": contact.wa_id,
                },
                "status": conversation.status,
                "assigned_user": person(users.get(conversation.assigned_user_id)),
                "handed_off": conversation.handed_off,
                "unread_count": conversation.unread_count,
                "last_message": message_bodies([last])[0] if last else None,
                "last_message_at": conversation.last_message_at,
                "window_open": inbox.window_open(conversation),
                "window_closes_at": inbox.window_closes_at(conversation),
            }
        )
    return bodies


def people(ids: set) -> dict[int, User]:
    ids = {i for i in ids if i}
    if not ids:
        return {}
    return {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids)))}


def message_bodies(found_messages: list[Message]) -> list[dict]:
    if not found_messages:
        return []
    org_id = found_messages[0].org_id
    ids = [m.id for m in found_messages]
    files = {
        f.message_id: f
        for f in db.session.scalars(
            select(MediaFile).where(
                MediaFile.org_id == org_id, MediaFile.message_id.in_(ids)
            )
        )
    }
    senders = people({m.sent_by_id for m in found_messages})
    conversations = {
        c.id: c
        for c in db.session.scalars(
            select(Conversation).where(
                Conversation.id.in_({m.conversation_id for m in found_messages})
            )
        )
    }
    return [
        {
            "id": m.id,
            "wamid": m.wamid,
            "direction": m.direction,
            "type": m.type,
            "text": m.text,
            "payload": m.payload,
            "status": m.status,
            "error_code": m.error_code,
            "error_title": m.error_title,
            "context_wamid": m.context_wamid,
            "sent_by": person(senders.get(m.sent_by_id)),
            "media": media_body(files.get(m.id), conversations[m.conversation_id]),
            "timestamp": m.timestamp,
            "created_at": m.created_at,
        }
        for m in found_messages
    ]


def media_body(stored: MediaFile | None, conversation: Conversation) -> dict | None:
    if stored is None:
        return None
    url = None
    if stored.status == "stored":
        url = url_for(
            "conversations.media",
            number=conversation.contact.wa_id,
            message_id=stored.message_id,
            phone_number_id=conversation.phone_number_id,
        )
    return {
        "status": stored.status,
        "mime_type": stored.mime_type,
        "filename": stored.filename,
        "size": stored.size,
        "url": url,
    }
