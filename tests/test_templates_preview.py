"""A template as WhatsApp shows it, and the form fields that build a template."""

from wfb.message_templates.forms import field_at, read_form, template_body
from wfb.message_templates.preview import preview_of


def test_named_variables_are_filled_with_their_examples():
    components = [
        {
            "type": "BODY",
            "text": "Hi {{first_name}}, order {{order_id}} is on its way.",
            "example": {
                "body_text_named_params": [
                    {"param_name": "first_name", "example": "Asha"},
                    {"param_name": "order_id", "example": "ORD42"},
                ]
            },
        }
    ]

    assert preview_of(components, "NAMED")["body"] == (
        "Hi Asha, order ORD42 is on its way."
    )


def test_variable_without_example_is_shown_as_written():
    components = [
        {
            "type": "BODY",
            "text": "Hi {{1}}, see you {{2}}.",
            "example": {"body_text": [["Asha"]]},
        }
    ]

    assert preview_of(components)["body"] == "Hi Asha, see you {{2}}."


def test_authentication_template_shows_metas_text():
    components = [
        {"type": "BODY", "add_security_recommendation": True},
        {"type": "FOOTER", "code_expiration_minutes": 10},
        {"type": "BUTTONS", "buttons": [{"type": "OTP", "otp_type": "COPY_CODE"}]},
    ]

    assert preview_of(components) == {
        "header": None,
        "body": "123456 is your verification code. For your security, do not share "
        "this code.",
        "footer": "This code expires in 10 minutes.",
        "buttons": [{"type": "OTP", "text": "Copy code", "detail": "", "icon": ""}],
    }


def test_media_header_and_buttons_are_named():
    components = [
        {"type": "HEADER", "format": "DOCUMENT"},
        {"type": "BODY", "text": "Your invoice."},
        {
            "type": "BUTTONS",
            "buttons": [
                {"type": "PHONE_NUMBER", "text": "Call", "phone_number": "+15550001111"}
            ],
        },
    ]

    shown = preview_of(components)

    assert shown["header"] == {"format": "DOCUMENT", "text": ""}
    assert shown["buttons"] == [
        {"type": "PHONE_NUMBER", "text": "Call", "detail": "+15550001111", "icon": "☎"}
    ]


def test_malformed_components_preview_as_empty():
    assert preview_of(["BODY", None, {"type": "BODY", "text": 3}]) == {
        "header": None,
        "body": "",
        "footer": "",
        "buttons": [],
    }


def test_form_leaves_out_empty_parts_and_skips_empty_button_rows():
    values = read_form(
        {
            "name": "hello",
            "language": "en_US",
            "category": "UTILITY",
            "body": "Hello there.",
            "button_2_type": "QUICK_REPLY",
            "button_2_text": "Hi",
        }
    )

    body, places = template_body(values)

    assert body["components"] == [
        {"type": "BODY", "text": "Hello there."},
        {"type": "BUTTONS", "buttons": [{"type": "QUICK_REPLY", "text": "Hi"}]},
    ]
    assert field_at("components[1].buttons[0].text", places) == "button_2_text"
    assert field_at("components[1].buttons", places) == "buttons"
    assert field_at("components[0].example.body_text", places) == "body_examples"
    assert field_at("somewhere.else", places) == "form"
