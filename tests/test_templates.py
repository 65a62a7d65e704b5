"""The templates API against the Graph API stand-in: sync, list, create, delete,
header uploads, roles and tenancy."""

import copy
import io

import pytest
from sqlalchemy import select

from tests.support import give_credentials, payload_json, setup_whatsapp
from wfb.extensions import db
from wfb.message_templates.models import MessageTemplate

pytestmark = pytest.mark.usefixtures("app")

WABA_ID = "100000000000001"
OTHER_WABA_ID = "100000000000002"
PAGE1 = payload_json("templates_list_page1.json")["data"]
PAGE2 = payload_json("templates_list_page2.json")["data"]
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64


@pytest.fixture
def settings_overrides(graph):
    return {"META_GRAPH_URL": graph.url, "META_TIMEOUT": 0.5}


@pytest.fixture
def org(admin):
    return setup_whatsapp(admin)


@pytest.fixture
def listed(graph, org):
    """Meta holds the four templates of the two example pages, two to a page."""
    graph.page_size = 2
    graph.add_templates(WABA_ID, copy.deepcopy(PAGE1 + PAGE2))
    return graph


def template_requests(graph) -> list[tuple[str, str, dict]]:
    return [
        (r.method, r.path, r.query)
        for r in graph.requests
        if r.endpoint in ("templates", "upload")
    ]


def stored() -> dict[tuple[str, str], MessageTemplate]:
    db.session.expire_all()
    rows = db.session.scalars(select(MessageTemplate)).all()
    return {(row.name, row.language): row for row in rows}


def new_template(**changes) -> dict:
    """Meta's example create body, with a text header instead of the image."""
    body = payload_json("template_create_request.json")
    body["components"][0] = {
        "type": "HEADER",
        "format": "TEXT",
        "text": "Your visit on {{1}}",
        "example": {"header_text": ["Friday"]},
    }
    body.update(changes)
    return body


# Sync and list


def test_sync_follows_both_pages_and_stores_every_template(listed, org):
    response = org.api.get("/templates")

    assert response.status_code == 200, response.json
    assert response.json["sync"] == {"total": 4, "new": 4, "updated": 0, "gone": 0}
    assert response.json["total"] == 4
    assert [
        (t["name"], t["language"], t["status"]) for t in response.json["items"]
    ] == [
        ("appointment_reminder", "en_US", "APPROVED"),
        ("appointment_reminder", "hi", "PENDING"),
        ("festive_offer", "en_US", "PAUSED"),
        ("welcome_back", "en_US", "REJECTED"),
    ]
    pages = [r for r in template_requests(listed) if r[0] == "GET"]
    assert len(pages) == 2
    assert "after" not in pages[0][2]
    assert pages[1][2]["after"] == listed.requests[-1].query["after"]


def test_sync_keeps_components_category_format_and_metas_id(listed, org):
    org.api.get("/templates")

    offer = stored()[("festive_offer", "en_US")]
    assert offer.meta_id == "1700000000000002"
    assert offer.category == "MARKETING"
    assert offer.parameter_format == "POSITIONAL"
    assert offer.components == PAGE1[1]["components"]
    assert offer.gone is False
    assert offer.synced_at is not None


def test_listed_template_carries_its_slots(listed, org):
    items = org.api.get("/templates").json["items"]

    reminder = items[0]
    assert reminder["slots"] == {
        "body": 3,
        "body_names": [],
        "header": "IMAGE",
        "header_text_params": 0,
        "header_names": [],
        "url_buttons": 0,
        "quick_replies": 2,
    }


def test_template_missing_from_meta_is_marked_gone_and_listed_on_request(listed, org):
    org.api.get("/templates")
    listed.templates[WABA_ID] = [
        t for t in listed.templates[WABA_ID] if t["name"] != "welcome_back"
    ]

    response = org.api.get("/templates")
    with_gone = org.api.get("/templates?sync=false&include_gone=true")

    assert response.json["sync"] == {"total": 3, "new": 0, "updated": 0, "gone": 1}
    assert [t["name"] for t in response.json["items"]] == [
        "appointment_reminder",
        "appointment_reminder",
        "festive_offer",
    ]
    gone = [t for t in with_gone.json["items"] if t["gone"]]
    assert [(t["name"], t["status"]) for t in gone] == [("welcome_back", "REJECTED")]


def test_gone_template_that_returns_is_no_longer_gone(listed, org):
    org.api.get("/templates")
    kept = listed.templates[WABA_ID]
    listed.templates[WABA_ID] = kept[:3]
    org.api.get("/templates")
    listed.templates[WABA_ID] = kept

    response = org.api.get("/templates")

    assert response.json["sync"] == {"total": 4, "new": 0, "updated": 1, "gone": 0}
    assert stored()[("welcome_back", "en_US")].gone is False


def test_sync_updates_a_changed_status(listed, org):
    org.api.get("/templates")
    listed.templates[WABA_ID][3]["status"] = "APPROVED"

    response = org.api.get("/templates")

    assert response.json["sync"] == {"total": 4, "new": 0, "updated": 1, "gone": 0}
    assert stored()[("welcome_back", "en_US")].status == "APPROVED"


def test_list_without_sync_calls_no_meta(listed, org):
    org.api.get("/templates")
    listed.reset()

    response = org.api.get("/templates?sync=false")

    assert response.status_code == 200
    assert response.json["sync"] is None
    assert response.json["total"] == 4
    assert template_requests(listed) == []


def test_list_filters_by_status_name_and_language(listed, org):
    org.api.get("/templates")

    by_status = org.api.get("/templates?sync=false&status=PAUSED").json["items"]
    by_name = org.api.get("/templates?sync=false&name=REMIND").json["items"]
    by_language = org.api.get("/templates?sync=false&language=hi").json["items"]

    assert [t["name"] for t in by_status] == ["festive_offer"]
    assert [(t["name"], t["language"]) for t in by_name] == [
        ("appointment_reminder", "en_US"),
        ("appointment_reminder", "hi"),
    ]
    assert [(t["name"], t["language"]) for t in by_language] == [
        ("appointment_reminder", "hi")
    ]


def test_name_search_treats_underscore_and_percent_literally(listed, org):
    org.api.get("/templates")

    underscore = org.api.get("/templates?sync=false&name=e_").json["items"]
    percent = org.api.get("/templates?sync=false&name=%25").json["items"]

    assert [t["name"] for t in underscore] == ["festive_offer", "welcome_back"]
    assert percent == []


def test_list_pages_with_a_total(listed, org):
    org.api.get("/templates")

    page = org.api.get("/templates?sync=false&page=2&page_size=3").json

    assert (page["total"], page["page"], page["page_size"]) == (4, 2, 3)
    assert [t["name"] for t in page["items"]] == ["welcome_back"]


def test_unknown_status_filter_is_refused_with_422(org):
    response = org.api.get("/templates?sync=false&status=GREEN")

    assert response.status_code == 422
    assert list(response.json["errors"]["query"]) == ["status"]


def test_org_without_credentials_gets_409_that_says_what_to_add(admin, graph):
    response = admin.get("/templates")

    assert response.status_code == 409
    assert response.json["message"] == (
        "This organization has no WhatsApp credentials: add them in Settings "
        "(WhatsApp) before working with templates."
    )
    assert graph.requests == []


def test_expired_token_answers_409_telling_to_renew_it(listed, org):
    listed.fail_next(190, endpoint="templates")

    response = org.api.get("/templates")

    assert response.status_code == 409
    assert response.json["message"] == (
        "Meta refused the WhatsApp access token (code 190): it has expired or "
        "was revoked. Save a new token in Settings (WhatsApp)."
    )
    assert response.json["errors"]["meta"]["code"] == 190
    assert stored() == {}


def test_failure_on_the_second_page_stores_nothing_and_marks_nothing_gone(listed, org):
    org.api.get("/templates")
    listed.templates[WABA_ID] = listed.templates[WABA_ID][:3]
    listed.reset()
    listed.fail_next(100, endpoint="templates", after=1)

    response = org.api.get("/templates")

    assert response.status_code == 502
    assert response.json["message"].startswith(
        "Meta refused to list the templates: (#100) Invalid parameter (code 100)"
    )
    assert response.json["errors"]["meta"]["code"] == 100
    assert [r[2].get("after") is not None for r in template_requests(listed)] == [
        False,
        True,
    ]
    assert not any(row.gone for row in stored().values())


def test_meta_throttling_answers_503(listed, org):
    listed.fail_next(80007, endpoint="templates")

    response = org.api.get("/templates")

    assert response.status_code == 503
    assert response.json["errors"]["meta"]["code"] == 80007


def test_another_orgs_templates_are_invisible(listed, org, other_admin):
    org.api.get("/templates")
    setup_whatsapp(
        other_admin,
        waba_id=OTHER_WABA_ID,
        phone_number_id="200000000000002",
        display="15550004444",
    )

    response = other_admin.get("/templates")

    assert response.status_code == 200
    assert response.json["total"] == 0
    assert response.json["sync"] == {"total": 0, "new": 0, "updated": 0, "gone": 0}
    assert len(stored()) == 4


# Create


def test_create_submits_metas_shape_and_stores_the_answer(graph, org):
    body = payload_json("template_create_request.json")

    response = org.api.post("/templates", json=body)

    assert response.status_code == 201, response.json
    created = [r for r in graph.requests if r.endpoint == "templates"]
    assert [(r.method, r.path) for r in created] == [
        ("POST", f"/v25.0/{WABA_ID}/message_templates")
    ]
    assert created[0].body == body
    assert created[0].headers["Authorization"] == f"Bearer {org.token}"
    template = response.json
    assert (template["name"], template["language"]) == ("appointment_reminder", "en_US")
    assert template["status"] == "PENDING"
    assert template["category"] == "UTILITY"
    assert template["meta_id"] == created[0].answer["id"]
    assert template["components"] == body["components"]
    assert template["slots"]["body"] == 3
    assert stored()[("appointment_reminder", "en_US")].status == "PENDING"


def test_created_template_is_listed_after_the_next_sync(graph, org):
    org.api.post("/templates", json=new_template())

    items = org.api.get("/templates").json["items"]

    assert [(t["name"], t["status"], t["gone"]) for t in items] == [
        ("appointment_reminder", "PENDING", False)
    ]


@pytest.mark.parametrize(
    ("change", "place", "message"),
    [
        (
            {"name": "Order Update"},
            "name",
            "Only lowercase letters, digits and underscores.",
        ),
        ({"name": "a" * 513}, "name", "At most 512 characters."),
        (
            {"language": "english"},
            "language",
            "Use one of Meta's language codes, such as en_US.",
        ),
        (
            {"category": "PROMO"},
            "category",
            "Use one of MARKETING, UTILITY, AUTHENTICATION.",
        ),
    ],
)
def test_create_refuses_bad_fields_by_name_and_sends_nothing(
    graph, org, change, place, message
):
    response = org.api.post("/templates", json=new_template(**change))

    assert response.status_code == 422
    assert response.json["errors"]["json"] == {place: [message]}
    assert template_requests(graph) == []


def body_text(text: str, examples=None) -> dict:
    body = new_template()
    body["components"][1] = {"type": "BODY", "text": text}
    if examples is not None:
        body["components"][1]["example"] = {"body_text": [examples]}
    return body


@pytest.mark.parametrize(
    ("body", "place", "message"),
    [
        (
            body_text("Hi {{1}}, your visit is on {{3}}.", ["Asha", "Friday"]),
            "components[1].text",
            "Number the variables {{1}}, {{2}}, ... in the order they appear, "
            "without gaps; this text has {{1}}, {{3}}.",
        ),
        (
            body_text("{{1}}, your visit is confirmed.", ["Asha"]),
            "components[1].text",
            "The body cannot start with a variable.",
        ),
        (
            body_text("Your visit is confirmed, {{1}}", ["Asha"]),
            "components[1].text",
            "The body cannot end with a variable.",
        ),
        (
            body_text("Welcome back {{1}}{{2}}!", ["Priya", "!"]),
            "components[1].text",
            "Put words between two variables.",
        ),
        (
            body_text("Hi {{name}}, welcome.", ["Asha"]),
            "components[1].text",
            "{{name}} is not a variable; write one as {{1}}.",
        ),
        (
            body_text("Hi {{1}}, see you on {{2}}.", ["Asha"]),
            "components[1].example.body_text",
            "Give 2 example value(s), in order.",
        ),
        (
            body_text("Hi {{1}}, see you soon."),
            "components[1].example.body_text",
            "Give 1 example value(s), in order.",
        ),
        (
            body_text("x" * 1025),
            "components[1].text",
            "At most 1024 characters (this has 1025).",
        ),
    ],
    ids=[
        "gap",
        "starts",
        "ends",
        "adjacent",
        "named",
        "examples",
        "no-example",
        "long",
    ],
)
def test_create_names_the_place_of_a_body_problem(graph, org, body, place, message):
    response = org.api.post("/templates", json=body)

    assert response.status_code == 422
    assert response.json["errors"]["json"] == {place: [message]}
    assert template_requests(graph) == []


def test_create_names_each_problem_of_header_footer_and_buttons(graph, org):
    body = new_template()
    body["components"][0] = {
        "type": "HEADER",
        "format": "TEXT",
        "text": "{{1}} and {{2}} offers",
        "example": {"header_text": ["Diwali", "Holi"]},
    }
    body["components"][2] = {"type": "FOOTER", "text": "f" * 61}
    body["components"][3] = {
        "type": "BUTTONS",
        "buttons": [
            {"type": "QUICK_REPLY", "text": "Yes"},
            {"type": "URL", "text": "Open", "url": "https://a.example/{{1}}/x"},
            {"type": "QUICK_REPLY", "text": "A reply label far too long to fit"},
            {"type": "PHONE_NUMBER", "text": "Call", "phone_number": "call us"},
        ],
    }

    response = org.api.post("/templates", json=body)

    assert response.status_code == 422
    assert response.json["errors"]["json"] == {
        "components[0].text": ["A header has at most one variable."],
        "components[2].text": ["At most 60 characters (this has 61)."],
        "components[3].buttons[1].url": [
            "A web address has one variable, {{1}}, at its end."
        ],
        "components[3].buttons[2].text": ["At most 25 characters (this has 33)."],
        "components[3].buttons[3].phone_number": [
            "An international phone number, at most 20 characters."
        ],
        "components[3].buttons": [
            "Keep quick replies together, before or after the others."
        ],
    }
    assert template_requests(graph) == []


def test_create_refuses_a_media_header_without_a_handle(graph, org):
    body = payload_json("template_create_request.json")
    body["components"][0]["example"] = {"header_handle": []}

    response = org.api.post("/templates", json=body)

    assert response.status_code == 422
    assert response.json["errors"]["json"] == {
        "components[0].example.header_handle": [
            "Upload a sample image and give its handle."
        ]
    }
    assert template_requests(graph) == []


def test_create_refuses_two_bodies_and_unknown_components(graph, org):
    body = new_template()
    body["components"].append({"type": "BODY", "text": "Again"})
    body["components"].append({"type": "CAROUSEL"})

    response = org.api.post("/templates", json=body)

    assert response.json["errors"]["json"] == {
        "components[4]": ["A template has at most one BODY component."],
        "components[5].type": ["Use one of HEADER, BODY, FOOTER, BUTTONS."],
    }
    assert template_requests(graph) == []


def test_create_refuses_a_template_without_body(graph, org):
    body = new_template()
    body["components"] = [body["components"][2]]

    response = org.api.post("/templates", json=body)

    assert response.json["errors"]["json"] == {
        "components": ["A template needs exactly one BODY component."]
    }


def test_create_accepts_named_parameters_with_their_examples(graph, org):
    body = new_template(parameter_format="NAMED")
    body["components"] = [
        {
            "type": "BODY",
            "text": "Hi {{first_name}}, your order {{order_id}} has shipped.",
            "example": {
                "body_text_named_params": [
                    {"param_name": "first_name", "example": "Asha"},
                    {"param_name": "order_id", "example": "ORD42"},
                ]
            },
        }
    ]

    response = org.api.post("/templates", json=body)

    assert response.status_code == 201, response.json
    assert response.json["slots"]["body_names"] == ["first_name", "order_id"]


def test_create_refuses_a_named_parameter_without_example(graph, org):
    body = new_template(parameter_format="NAMED")
    body["components"] = [
        {
            "type": "BODY",
            "text": "Hi {{first_name}}, your order {{order_id}} has shipped.",
            "example": {
                "body_text_named_params": [
                    {"param_name": "first_name", "example": "Asha"}
                ]
            },
        }
    ]

    response = org.api.post("/templates", json=body)

    assert response.json["errors"]["json"] == {
        "components[0].example.body_text_named_params": [
            "Give an example for order_id."
        ]
    }
    assert template_requests(graph) == []


def test_create_accepts_an_authentication_template(graph, org):
    body = {
        "name": "login_code",
        "language": "en_US",
        "category": "AUTHENTICATION",
        "components": [
            {"type": "BODY", "add_security_recommendation": True},
            {"type": "FOOTER", "code_expiration_minutes": 10},
            {"type": "BUTTONS", "buttons": [{"type": "OTP", "otp_type": "COPY_CODE"}]},
        ],
    }

    response = org.api.post("/templates", json=body)

    assert response.status_code == 201, response.json
    assert response.json["category"] == "AUTHENTICATION"


def test_create_refuses_a_name_and_language_that_exist(graph, org):
    org.api.post("/templates", json=new_template())
    graph.reset()

    response = org.api.post("/templates", json=new_template())

    assert response.status_code == 409
    assert response.json["message"] == (
        "A template appointment_reminder in en_US exists already."
    )
    assert template_requests(graph) == []


def test_meta_refusing_a_template_answers_422_with_its_code(graph, org):
    graph.fail_next(100, endpoint="templates", details="Invalid button combination")

    response = org.api.post("/templates", json=new_template())

    assert response.status_code == 422
    assert response.json["message"] == (
        "Meta refused to create the template: (#100) Invalid parameter (code 100): "
        "Invalid button combination"
    )
    assert response.json["errors"]["meta"] == {
        "code": 100,
        "subcode": None,
        "message": "(#100) Invalid parameter",
        "details": "Invalid button combination",
    }
    assert stored() == {}


def test_create_with_missing_fields_answers_422(graph, org):
    response = org.api.post("/templates", json={"name": "x"})

    assert response.status_code == 422
    assert set(response.json["errors"]["json"]) == {
        "language",
        "category",
        "components",
    }


# Delete


@pytest.fixture
def synced(listed, org):
    org.api.get("/templates")
    listed.reset()
    return listed


def test_delete_removes_every_language_on_meta_and_marks_them_gone(synced, org):
    response = org.api.delete("/templates/appointment_reminder")

    assert response.status_code == 204
    assert template_requests(synced) == [
        (
            "DELETE",
            f"/v25.0/{WABA_ID}/message_templates",
            {"name": "appointment_reminder"},
        )
    ]
    rows = stored()
    assert [
        (rows[k].gone, rows[k].status)
        for k in (("appointment_reminder", "en_US"), ("appointment_reminder", "hi"))
    ] == [(True, "DELETED"), (True, "DELETED")]
    assert rows[("festive_offer", "en_US")].gone is False


def test_delete_of_one_language_sends_its_hsm_id(synced, org):
    response = org.api.delete("/templates/appointment_reminder?language=hi")

    assert response.status_code == 204
    assert template_requests(synced)[0][2] == {
        "name": "appointment_reminder",
        "hsm_id": "1700000000000004",
    }
    rows = stored()
    assert rows[("appointment_reminder", "hi")].gone is True
    assert rows[("appointment_reminder", "en_US")].gone is False
    names = [
        t["language"]
        for t in synced.templates[WABA_ID]
        if t["name"] == "appointment_reminder"
    ]
    assert names == ["en_US"]


def test_deleted_template_stays_gone_after_a_sync(synced, org):
    org.api.delete("/templates/festive_offer")

    items = org.api.get("/templates").json["items"]

    assert "festive_offer" not in [t["name"] for t in items]


def test_delete_of_an_unknown_template_answers_404_without_calling_meta(synced, org):
    response = org.api.delete("/templates/no_such_template")

    assert response.status_code == 404
    assert response.json["message"] == "No template named no_such_template."
    assert template_requests(synced) == []


def test_delete_of_another_orgs_template_answers_404(synced, org, other_admin):
    response = other_admin.delete("/templates/festive_offer")

    assert response.status_code == 404
    assert template_requests(synced) == []
    assert stored()[("festive_offer", "en_US")].gone is False


def test_delete_refused_by_meta_keeps_the_template(synced, org):
    synced.fail_next(100, endpoint="templates", details="Message template not found")

    response = org.api.delete("/templates/festive_offer")

    assert response.status_code == 502
    assert response.json["errors"]["meta"]["details"] == "Message template not found"
    assert stored()[("festive_offer", "en_US")].gone is False


# Header samples


def test_upload_media_answers_the_resumable_upload_handle(graph, org):
    data = {"file": (io.BytesIO(JPEG), "offer.jpg", "image/jpeg")}

    response = org.api.post("/templates/upload-media", data=data)

    assert response.status_code == 200, response.json
    uploads = [r for r in graph.requests if r.endpoint == "upload"]
    assert [(r.method, r.path) for r in uploads] == [
        ("POST", "/v25.0/300000000000001/uploads"),
        ("POST", uploads[0].answer["id"].join(("/v25.0/", ""))),
    ]
    assert uploads[0].query == {
        "file_name": "offer.jpg",
        "file_length": str(len(JPEG)),
        "file_type": "image/jpeg",
    }
    assert uploads[1].headers["Authorization"] == f"OAuth {org.token}"
    assert uploads[1].raw == JPEG
    assert response.json == {
        "handle": uploads[1].answer["h"],
        "format": "IMAGE",
        "mime_type": "image/jpeg",
        "size": len(JPEG),
    }


@pytest.mark.parametrize(
    ("content", "mime_type", "message"),
    [
        (
            b"GIF89a" + b"\x00" * 10,
            "image/gif",
            "A header sample is a JPEG, PNG, MP4 or PDF file, not image/gif.",
        ),
        (b"not really a jpeg", "image/jpeg", "The file's content is not image/jpeg."),
        (b"", "image/png", "The file is empty."),
        (
            b"\x89PNG\r\n\x1a\n" + b"\x00" * (5 * 1024 * 1024),
            "image/png",
            "Meta takes a image header up to 5 MB; this file has 5.0 MB.",
        ),
    ],
    ids=["gif", "fake-jpeg", "empty", "too-large"],
)
def test_upload_media_refuses_bad_files_before_calling_meta(
    graph, org, content, mime_type, message
):
    data = {"file": (io.BytesIO(content), "sample", mime_type)}

    response = org.api.post("/templates/upload-media", data=data)

    assert response.status_code == 422
    assert response.json["errors"] == {"files": {"file": [message]}}
    assert template_requests(graph) == []


def test_upload_media_without_credentials_answers_409(admin, graph):
    data = {"file": (io.BytesIO(JPEG), "offer.jpg", "image/jpeg")}

    response = admin.post("/templates/upload-media", data=data)

    assert response.status_code == 409
    assert graph.requests == []


# Roles


def test_sales_is_refused_every_template_route(team, graph):
    give_credentials(team.admin)
    sales = team.sales.api
    data = {"file": (io.BytesIO(JPEG), "offer.jpg", "image/jpeg")}

    answers = [
        sales.get("/templates").status_code,
        sales.post("/templates", json=new_template()).status_code,
        sales.delete("/templates/appointment_reminder").status_code,
        sales.post("/templates/upload-media", data=data).status_code,
    ]

    assert answers == [403, 403, 403, 403]
    assert template_requests(graph) == []


def test_marketing_creates_and_lists_templates(team, graph):
    give_credentials(team.admin)
    marketing = team.marketing.api

    created = marketing.post("/templates", json=new_template())
    listed = marketing.get("/templates")

    assert created.status_code == 201
    assert [t["name"] for t in listed.json["items"]] == ["appointment_reminder"]
