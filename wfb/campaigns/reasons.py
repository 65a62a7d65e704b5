"""What became of a recipient, in plain words, from Meta's error codes and ours."""

# Meta's codes that a campaign meets most, as a business owner would say them.
META_REASONS = {
    1: "Meta had a temporary problem; the message was tried again.",
    2: "Meta's service was briefly unavailable; the message was tried again.",
    4: "The app made too many calls to Meta; the message was tried again later.",
    100: "Meta refused a value of the message as invalid.",
    190: "Meta refused the WhatsApp access token: save a new one in Settings.",
    368: "The number is temporarily blocked for breaking WhatsApp's policies.",
    130429: "The number's sending rate was reached; the message was tried again.",
    131000: "Something went wrong at Meta.",
    131016: "Meta's service was briefly unavailable.",
    131021: "The recipient is the business's own number.",
    131026: (
        "WhatsApp could not deliver to this number: it may not use WhatsApp, may "
        "have an old app, or has not accepted WhatsApp's latest terms."
    ),
    131030: "The number is not on the test number's list of allowed recipients.",
    131031: "The WhatsApp Business account is locked.",
    131042: "There is a payment problem with the WhatsApp Business account.",
    131045: "The sending number is not registered with WhatsApp.",
    131047: "More than 24 hours passed since this person last wrote.",
    131048: "The number was limited for spam; send less and to people who expect it.",
    131049: (
        "Meta held this marketing message back to keep this person's experience "
        "healthy; wait before sending them more."
    ),
    131050: "This person stopped marketing messages from your business.",
    131051: "WhatsApp does not support this kind of message.",
    131052: "The media could not be downloaded from the given link.",
    131053: "The media could not be uploaded; check its type and size.",
    131056: "Too many messages to this person in a short time.",
    131057: "The WhatsApp Business account is in maintenance.",
    132000: "The number of values does not match the template's variables.",
    132001: "The template does not exist in this language, or is not approved.",
    132005: "The message is too long once the values are filled in.",
    132007: "The values break WhatsApp's content policy.",
    132012: "A value is not in the format the template expects.",
    132015: "The template is paused for low quality.",
    132016: "The template is disabled for low quality.",
    132018: "A value has a new line, a tab or too many spaces.",
}

STATUS_REASONS = {
    "pending": "Waiting to be sent.",
    "sending": "Being sent.",
    "sent": "Accepted by WhatsApp.",
    "delivered": "Delivered to the phone.",
    "read": "Read.",
    "skipped": "Not sent: this contact opted out of campaigns.",
    "unknown": (
        "The send may or may not have reached WhatsApp (no answer came back); it "
        "was not repeated, so that nobody gets it twice."
    ),
}


def reason(status: str, error_code: int | None, error_title: str | None) -> str:
    """One sentence that says what became of a recipient and why."""
    if error_code in META_REASONS and status in ("failed", "pending"):
        return META_REASONS[error_code]
    if status == "failed":
        return error_title or "Failed, without a reason from Meta."
    return STATUS_REASONS.get(status, status)
