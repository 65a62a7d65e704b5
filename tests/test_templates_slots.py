"""What a send of each template must carry, read from the templates Meta lists."""

import pytest

from tests.support import payload_json
from wfb.message_templates.models import MessageTemplate
from wfb.message_templates.slots import Slots, slots

LISTED = {
    (t["name"], t["language"]): t
    for page in ("templates_list_page1.json", "templates_list_page2.json")
    for t in payload_json(page)["data"]
}


def stored(template: dict) -> MessageTemplate:
    return MessageTemplate(
        name=template["name"],
        language=template["language"],
        parameter_format=template.get("parameter_format", "POSITIONAL"),
        components=template["components"],
    )


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        (
            ("appointment_reminder", "en_US"),
            Slots(body=3, header="IMAGE", quick_replies=2),
        ),
        (
            ("festive_offer", "en_US"),
            Slots(body=1, header="TEXT", header_text_params=1, url_buttons=1),
        ),
        (("appointment_reminder", "hi"), Slots(body=2)),
        (("welcome_back", "en_US"), Slots(body=2)),
    ],
    ids=["reminder-en", "festive-offer", "reminder-hi", "welcome-back"],
)
def test_slots_of_every_listed_template(key, expected):
    assert slots(stored(LISTED[key])) == expected


def test_every_listed_template_is_covered():
    assert sorted(LISTED) == [
        ("appointment_reminder", "en_US"),
        ("appointment_reminder", "hi"),
        ("festive_offer", "en_US"),
        ("welcome_back", "en_US"),
    ]


def test_named_template_lists_its_names_in_first_order():
    template = MessageTemplate(
        parameter_format="NAMED",
        components=[
            {"type": "HEADER", "format": "TEXT", "text": "For {{first_name}}"},
            {
                "type": "BODY",
                "text": "Hi {{first_name}}, order {{order_id}} for {{first_name}}.",
            },
        ],
    )

    assert slots(template) == Slots(
        body=2,
        body_names=("first_name", "order_id"),
        header="TEXT",
        header_text_params=1,
        header_names=("first_name",),
    )


def test_repeated_positional_variable_counts_once():
    template = MessageTemplate(
        components=[{"type": "BODY", "text": "Hi {{1}}, {{2}} is ready, {{1}}."}]
    )

    assert slots(template).body == 2


def test_url_button_without_variable_needs_no_value():
    template = MessageTemplate(
        components=[
            {"type": "BODY", "text": "See us."},
            {
                "type": "BUTTONS",
                "buttons": [
                    {"type": "URL", "text": "Site", "url": "https://a.example/"},
                    {"type": "URL", "text": "Order", "url": "https://a.example/{{1}}"},
                    {"type": "PHONE_NUMBER", "text": "Call", "phone_number": "+1555"},
                ],
            },
        ]
    )

    assert slots(template) == Slots(url_buttons=1)


def test_location_and_document_headers_are_named():
    for header_format in ("LOCATION", "DOCUMENT", "VIDEO"):
        template = MessageTemplate(
            components=[
                {"type": "HEADER", "format": header_format},
                {"type": "BODY", "text": "Here it is."},
            ]
        )

        assert slots(template).header == header_format


def test_malformed_components_give_empty_slots():
    template = MessageTemplate(
        components=["BODY", {"type": "BODY", "text": None}, {"type": "BUTTONS"}]
    )

    assert slots(template) == Slots()


def test_template_without_components_has_no_slots():
    assert slots(MessageTemplate(components=None)) == Slots()
