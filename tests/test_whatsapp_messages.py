"""Message bodies: equal to Meta's examples, cut to Meta's limits, previewed."""

import pytest

from tests.standins import payload
from wfb.whatsapp import messages

BOOKING_BUTTONS = [
    {"id": "confirm_booking_42", "title": "Confirm"},
    {"id": "reschedule_booking_42", "title": "Reschedule"},
    {"id": "cancel_booking_42", "title": "Cancel"},
]
SERVICES = [
    {
        "title": "Hair",
        "rows": [
            {
                "id": "svc_haircut_women",
                "title": "Haircut (women)",
                "description": "45 min · ₹600",
            },
            {
                "id": "svc_haircut_men",
                "title": "Haircut (men)",
                "description": "30 min · ₹400",
            },
        ],
    },
    {
        "title": "Skin",
        "rows": [
            {"id": "svc_facial", "title": "Facial", "description": "60 min · ₹1,200"}
        ],
    },
]
READ_WAMID = "wamid.HBgLMTU1NTAwMDIyMjIVAgASGBQzRUIwQTEwMDAwMDEwMDAwMDAwMAA="


def template_example():
    example = payload("send_template_request.json")
    return messages.template(
        "+15550002222",
        "appointment_reminder",
        "en_US",
        example["template"]["components"],
        callback_data="tenant=acme;job=reminder-42",
    )


BUILT = {
    "send_text_request.json": lambda: messages.text(
        "+15550002222",
        "Your booking is confirmed: https://acme.example/b/42",
        preview_url=True,
    ),
    "send_buttons_request.json": lambda: messages.buttons(
        "+15550002222",
        "Haircut with Kavya, Sat 5 Sep, 5:00 PM. Shall we confirm?",
        BOOKING_BUTTONS,
        header="Booking #42",
        footer="Acme Salon",
    ),
    "send_list_request.json": lambda: messages.list_message(
        "+15550003333",
        "Pick a service and we will show free slots.",
        "See services",
        SERVICES,
        header="Our services",
        footer="Prices include GST",
    ),
    "send_media_request.json": lambda: messages.media(
        "+15550002222",
        "document",
        media_id="1320000000000002",
        caption="Your invoice",
        filename="invoice-42.pdf",
    ),
    "send_template_request.json": template_example,
    "mark_read_request.json": lambda: messages.mark_read(READ_WAMID, typing=True),
}


@pytest.mark.parametrize("name", sorted(BUILT))
def test_builders_produce_metas_example_bodies(name):
    assert BUILT[name]() == payload(name)


def test_buttons_beyond_the_third_are_dropped_and_long_titles_cut():
    four = [{"id": f"b{i}", "title": f"Option number {i} of four"} for i in range(4)]

    built = messages.buttons("+15550002222", "Pick one", four)

    replies = built["interactive"]["action"]["buttons"]
    assert [r["reply"]["id"] for r in replies] == ["b0", "b1", "b2"]
    assert replies[0]["reply"]["title"] == "Option number 0 of …"
    assert len(replies[0]["reply"]["title"]) == 20
    assert "header" not in built["interactive"]
    assert "footer" not in built["interactive"]


def test_a_list_keeps_the_first_ten_rows_across_sections():
    sections = [
        {"title": f"S{s}", "rows": [{"id": f"{s}-{r}", "title": "x"} for r in range(4)]}
        for s in range(4)
    ]

    built = messages.list_message("+15550002222", "Pick", "Open", sections)

    kept = built["interactive"]["action"]["sections"]
    assert [len(s["rows"]) for s in kept] == [4, 4, 2]
    assert kept[2]["rows"][-1] == {"id": "2-1", "title": "x"}


def test_a_media_header_is_passed_through_to_buttons():
    header = {"type": "image", "image": {"id": "1320000000000001"}}

    built = messages.buttons("+15550002222", "Look", BOOKING_BUTTONS[:1], header)

    assert built["interactive"]["header"] == header


@pytest.mark.parametrize(
    ("link", "media_id"), [(None, None), ("https://acme.example/a.jpg", "13")]
)
def test_media_needs_exactly_one_of_link_or_id(link, media_id):
    with pytest.raises(ValueError):
        messages.media("+15550002222", "image", link=link, media_id=media_id)


def test_media_by_link_drops_the_caption_where_meta_has_none():
    built = messages.media(
        "+15550002222", "audio", link="https://acme.example/a.ogg", caption="hi"
    )

    assert built["audio"] == {"link": "https://acme.example/a.ogg"}


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "send_text_request.json",
            "Your booking is confirmed: https://acme.example/b/42",
        ),
        (
            "send_buttons_request.json",
            "Haircut with Kavya, Sat 5 Sep, 5:00 PM. Shall we confirm?",
        ),
        ("send_list_request.json", "Pick a service and we will show free slots."),
        ("send_media_request.json", "Your invoice"),
        ("send_template_request.json", "[template appointment_reminder]"),
    ],
)
def test_preview_reads_the_body_caption_or_template_name(name, expected):
    assert messages.preview(payload(name)) == expected


def test_preview_of_media_without_caption_names_the_kind_or_file():
    document = messages.media("+1555", "document", media_id="1", filename="menu.pdf")
    image = messages.media("+1555", "image", media_id="2")

    assert messages.preview(document) == "[document menu.pdf]"
    assert messages.preview(image) == "[image]"
