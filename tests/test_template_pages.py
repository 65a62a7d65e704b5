"""The templates page: the list with status badges, sync, the new template form with
its checks and preview, header samples, delete, and who may open it."""

import copy
import html as markup
import io
import re

import pytest
from sqlalchemy import select

from tests.browser import needs_browser, new_page, shot
from tests.pages import HTMX, field_error, html, page_client, post
from tests.processes import embedded_product
from tests.support import give_credentials, payload_json
from wfb.extensions import db
from wfb.message_templates.models import MessageTemplate

pytestmark = pytest.mark.usefixtures("app")

WABA_ID = "100000000000001"
URL = "/app/templates"
LISTED = (
    payload_json("templates_list_page1.json")["data"]
    + payload_json("templates_list_page2.json")["data"]
)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64


@pytest.fixture
def settings_overrides(graph):
    return {"META_GRAPH_URL": graph.url, "META_TIMEOUT": 0.5}


@pytest.fixture
def meta(graph, team):
    """Org A has WhatsApp credentials, and Meta holds the example templates."""
    give_credentials(team.admin)
    graph.add_templates(WABA_ID, copy.deepcopy(LISTED))
    return graph


@pytest.fixture
def admin_page(app, team):
    return page_client(app, "admin@acme.test")


@pytest.fixture
def marketing_page(app, team):
    return page_client(app, "mia@acme.test")


def text_of(fragment: str) -> str:
    return " ".join(markup.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def rows(response) -> list[str]:
    return [
        text_of(row)
        for row in re.findall(r'<tr id="template-\d+">(.*?)</tr>', html(response), re.S)
    ]


def template_calls(graph) -> list:
    return [(r.method, r.endpoint) for r in graph.requests if r.endpoint != "phone"]


def new_form(**changes) -> dict:
    form = {
        "name": "visit_thanks",
        "language": "en_US",
        "category": "UTILITY",
        "header_type": "TEXT",
        "header_text": "Thanks, {{1}}",
        "header_example": "Asha",
        "body": "Hi {{1}}, thanks for visiting on {{2}}. See you soon!",
        "body_examples": "Asha\nFriday",
        "footer": "Acme Salon",
        "button_0_type": "QUICK_REPLY",
        "button_0_text": "Book again",
        "button_1_type": "URL",
        "button_1_text": "Review us",
        "button_1_value": "https://acme.example/review/{{1}}",
        "button_1_example": "https://acme.example/review/42",
    }
    form.update(changes)
    return form


def test_sync_button_shows_what_the_sync_found_and_lists_the_templates(
    admin_page, meta
):
    response = post(admin_page, f"{URL}/sync", headers=HTMX)

    assert response.status_code == 200
    page = html(response)
    assert text_of(re.search(r'id="sync-result">(.*?)</p>', page)[1]) == (
        "4 templates, 4 new, 0 updated, 0 gone."
    )
    assert [row.split(" Show ")[0] for row in rows(response)] == [
        "appointment_reminder en_US Utility Approved",
        "appointment_reminder hi Utility Pending",
        "festive_offer en_US Marketing Paused",
        "welcome_back en_US Marketing Rejected",
    ]


def test_status_badges_have_their_colours(admin_page, meta):
    response = post(admin_page, f"{URL}/sync", headers=HTMX)

    badges = re.findall(r'<span class="badge ([\w-]*)">([^<]+)</span>', html(response))
    assert badges == [
        ("badge-ok", "Approved"),
        ("badge-warn", "Pending"),
        ("badge-danger", "Paused"),
        ("badge-danger", "Rejected"),
    ]


def test_rejected_template_shows_metas_reason(admin_page, meta):
    post(admin_page, f"{URL}/sync", headers=HTMX)
    template = db.session.scalar(
        select(MessageTemplate).where(MessageTemplate.name == "welcome_back")
    )
    template.reason = "INVALID_FORMAT: Put descriptive text between variables."
    db.session.commit()

    response = admin_page.get(URL)

    assert (
        "INVALID_FORMAT: Put descriptive text between variables." in rows(response)[3]
    )


def test_row_preview_shows_the_template_with_its_examples(admin_page, meta):
    response = post(admin_page, f"{URL}/sync", headers=HTMX)

    assert rows(response)[2].endswith(
        "Show Diwali offer is live! Get 20% off on all services this week. Reply STOP "
        "to opt out. ↗ Book now Delete… Delete festive_offer (en_US) on Meta? Meta "
        "keeps the name from being used again for 30 days. Delete template"
    )


def test_sync_without_htmx_answers_303_with_the_summary(admin_page, meta):
    response = post(admin_page, f"{URL}/sync")
    page = admin_page.get(URL)

    assert response.status_code == 303
    assert "4 templates, 4 new, 0 updated, 0 gone." in html(page)


def test_sync_error_is_shown_in_the_list(admin_page, meta):
    meta.fail_next(190, endpoint="templates")

    response = post(admin_page, f"{URL}/sync", headers=HTMX)

    assert text_of(re.search(r'id="sync-result">(.*?)</p>', html(response))[1]) == (
        "Meta refused the WhatsApp access token (code 190): it has expired or was "
        "revoked. Save a new token in Settings (WhatsApp)."
    )


def test_filters_narrow_the_list(admin_page, meta):
    post(admin_page, f"{URL}/sync", headers=HTMX)

    by_status = admin_page.get(f"{URL}?status=PAUSED", headers=HTMX)
    by_name = admin_page.get(f"{URL}?name=welcome", headers=HTMX)

    assert [row.split()[0] for row in rows(by_status)] == ["festive_offer"]
    assert [row.split()[0] for row in rows(by_name)] == ["welcome_back"]
    assert "<html" not in html(by_status)


def test_new_template_goes_to_meta_and_is_listed(admin_page, meta):
    response = post(admin_page, URL, **new_form())

    assert response.status_code == 303
    created = [r for r in meta.requests if r.method == "POST"]
    assert created[-1].body == {
        "name": "visit_thanks",
        "language": "en_US",
        "category": "UTILITY",
        "components": [
            {
                "type": "HEADER",
                "format": "TEXT",
                "text": "Thanks, {{1}}",
                "example": {"header_text": ["Asha"]},
            },
            {
                "type": "BODY",
                "text": "Hi {{1}}, thanks for visiting on {{2}}. See you soon!",
                "example": {"body_text": [["Asha", "Friday"]]},
            },
            {"type": "FOOTER", "text": "Acme Salon"},
            {
                "type": "BUTTONS",
                "buttons": [
                    {"type": "QUICK_REPLY", "text": "Book again"},
                    {
                        "type": "URL",
                        "text": "Review us",
                        "url": "https://acme.example/review/{{1}}",
                        "example": ["https://acme.example/review/42"],
                    },
                ],
            },
        ],
    }
    page = admin_page.get(URL)
    assert "visit_thanks (en_US) sent to Meta: PENDING." in html(page)
    assert rows(page)[0].startswith("visit_thanks en_US Utility Pending")


def test_problems_are_shown_next_to_their_fields_and_nothing_is_sent(admin_page, meta):
    form = new_form(
        name="Visit Thanks",
        body="{{1}}, thanks for visiting on {{2}}",
        body_examples="Asha",
        button_1_value="https://acme.example/{{1}}/review",
        button_2_type="PHONE_NUMBER",
        button_2_text="Call us",
        button_2_value="call me",
    )

    response = post(admin_page, URL, **form)

    assert response.status_code == 422
    assert field_error(response, "new-name") == (
        "Only lowercase letters, digits and underscores."
    )
    assert field_error(response, "new-body") == "The body cannot start with a variable."
    assert field_error(response, "new-body_examples") == (
        "Give 2 example value(s), in order."
    )
    assert field_error(response, "new-button-1-value") == (
        "A web address has one variable, {{1}}, at its end."
    )
    assert field_error(response, "new-button-2-value") == (
        "An international phone number, at most 20 characters."
    )
    assert 'value="Visit Thanks"' in html(response)
    assert template_calls(meta) == []


def test_meta_refusal_is_shown_above_the_form(admin_page, meta):
    meta.fail_next(100, endpoint="templates", details="Invalid button combination")

    response = post(admin_page, URL, **new_form())

    assert response.status_code == 422
    alert = re.search(r'id="create-alert">(.*?)</p>', html(response))[1]
    assert text_of(alert) == (
        "Meta refused to create the template: (#100) Invalid parameter (code 100): "
        "Invalid button combination"
    )


def test_preview_shows_the_examples_in_place_and_the_problems(admin_page, meta):
    form = new_form(body="Hi {{1}}, thanks for visiting on {{3}}.")

    response = post(admin_page, f"{URL}/preview", headers=HTMX, **form)

    page = html(response)
    bubble = re.search(r'<div class="bubble bubble-business">(.*?)</div>', page, re.S)
    assert text_of(bubble[1]) == (
        "Thanks, Asha Hi Asha, thanks for visiting on {{3}}. Acme Salon"
    )
    assert text_of(re.search(r'id="preview-problems">(.*?)</div>', page, re.S)[1]) == (
        "Meta would refuse this template: Number the variables {{1}}, {{2}}, ... in "
        "the order they appear, without gaps; this text has {{1}}, {{3}}."
    )
    assert template_calls(meta) == []


def test_preview_of_a_good_template_has_no_problems(admin_page, meta):
    response = post(admin_page, f"{URL}/preview", headers=HTMX, **new_form())

    assert "preview-problems" not in html(response)
    assert "↗ Review us" in text_of(html(response))


def test_header_sample_upload_puts_its_handle_in_the_form(admin_page, meta):
    data = {"csrf_token": admin_page.csrf, "file": (io.BytesIO(JPEG), "offer.jpg")}

    response = admin_page.post(f"{URL}/header-media", data=data, headers=HTMX)

    handle = re.search(r'name="header_handle" value="([^"]+)"', html(response))[1]
    assert handle.startswith("2:b2ZmZXIuanBn:aW1hZ2UvanBlZw==:")
    assert 'name="header_media_format" value="IMAGE"' in html(response)
    assert "Sample uploaded: offer.jpg (image)." in html(response)


def test_header_sample_of_a_wrong_type_is_refused(admin_page, meta):
    data = {"csrf_token": admin_page.csrf, "file": (io.BytesIO(b"GIF89a"), "a.gif")}

    response = admin_page.post(f"{URL}/header-media", data=data, headers=HTMX)

    assert field_error(response, "header-file") == (
        "A header sample is a JPEG, PNG, MP4 or PDF file, not image/gif."
    )
    assert template_calls(meta) == []


def test_image_header_without_sample_is_refused_next_to_the_upload(admin_page, meta):
    response = post(admin_page, URL, **new_form(header_type="IMAGE"))

    assert response.status_code == 422
    assert field_error(response, "new-header-file") == (
        "Upload a sample image and give its handle."
    )


def test_image_header_with_an_uploaded_sample_is_created(admin_page, meta):
    data = {"csrf_token": admin_page.csrf, "file": (io.BytesIO(JPEG), "offer.jpg")}
    upload = admin_page.post(f"{URL}/header-media", data=data, headers=HTMX)
    handle = re.search(r'name="header_handle" value="([^"]+)"', html(upload))[1]

    response = post(
        admin_page,
        URL,
        **new_form(
            header_type="IMAGE", header_handle=handle, header_media_format="IMAGE"
        ),
    )

    assert response.status_code == 303
    created = [r for r in meta.requests if r.endpoint == "templates"][-1]
    assert created.body["components"][0] == {
        "type": "HEADER",
        "format": "IMAGE",
        "example": {"header_handle": [handle]},
    }


def test_video_sample_for_an_image_header_is_refused(admin_page, meta):
    form = new_form(
        header_type="IMAGE", header_handle="2:abc", header_media_format="VIDEO"
    )

    response = post(admin_page, URL, **form)

    assert response.status_code == 422
    assert field_error(response, "new-header-file") == (
        "The uploaded file is a video: choose that header type or upload a image."
    )


def test_delete_asks_first_then_removes_the_template(admin_page, meta):
    post(admin_page, f"{URL}/sync", headers=HTMX)
    template = db.session.scalar(
        select(MessageTemplate).where(MessageTemplate.name == "festive_offer")
    )

    response = post(admin_page, f"{URL}/{template.id}/delete")

    assert response.status_code == 303
    deletes = [r for r in meta.requests if r.method == "DELETE"]
    assert deletes[-1].query == {"name": "festive_offer", "hsm_id": "1700000000000002"}
    page = admin_page.get(URL)
    assert "festive_offer (en_US) deleted." in html(page)
    assert "festive_offer" not in " ".join(rows(page))


def test_delete_of_another_orgs_template_is_not_found(admin_page, meta, other_admin):
    give_credentials(other_admin, waba_id="100000000000002")
    other = db.session.scalar(select(MessageTemplate.id))
    assert other is None
    other_admin.post(
        "/templates",
        json={
            "name": "bravo_only",
            "language": "en_US",
            "category": "UTILITY",
            "components": [{"type": "BODY", "text": "Hello from Bravo."}],
        },
    )
    bravo = db.session.scalar(select(MessageTemplate.id))
    meta.reset()

    response = post(admin_page, f"{URL}/{bravo}/delete")

    assert response.status_code == 404
    assert template_calls(meta) == []


def test_post_without_csrf_token_is_refused(admin_page, meta):
    response = admin_page.post(URL, data=new_form())

    assert response.status_code == 403
    assert template_calls(meta) == []


def test_marketing_opens_the_page(marketing_page, meta):
    response = marketing_page.get(URL)

    assert response.status_code == 200
    assert "New template" in html(response)


def test_sales_is_refused_the_page(app, team, meta):
    sales_page = page_client(app, "sam@acme.test")

    response = sales_page.get(URL)

    assert response.status_code == 403
    assert "Your role does not allow this page." in html(response)
    assert post(sales_page, f"{URL}/sync").status_code == 403
    assert template_calls(meta) == []


# In a real browser, on the sandbox


@pytest.fixture
def base(tmp_path):
    """The product under gunicorn on a free port, with the sandbox on."""
    with embedded_product(tmp_path, WFB_SANDBOX="true") as url:
        yield url


@needs_browser[0]
@needs_browser[1]
def test_a_sandbox_org_syncs_creates_previews_and_deletes_templates(
    base, browser, tmp_path
):
    page = new_page(browser)
    page.goto(f"{base}/app/signup")
    page.fill("#email", "asha@salon.test")
    page.fill("#name", "Asha")
    page.fill("#organization_name", "Asha Salon")
    page.fill("#password", "correct-horse-battery")
    page.press("#password", "Enter")
    page.get_by_role("button", name="Create a sandbox number").click()
    page.get_by_role("link", name="Templates", exact=True).click()

    page.get_by_role("button", name="Sync from Meta").click()
    page.locator("#sync-result", has_text="3 templates, 3 new").wait_for()
    assert page.locator("#templates .badge-ok").count() == 3
    offer = page.locator("#templates tr", has_text="seasonal_offer")
    offer.get_by_text("Show", exact=True).click()
    shot(page, "templates-synced")

    page.fill("#new-name", "spring_offer")
    page.select_option("#new-category", "MARKETING")
    page.select_option("#new-header-type", "IMAGE")
    sample = tmp_path / "spring.jpg"
    sample.write_bytes(JPEG)
    page.set_input_files("#new-header-file", str(sample))
    page.click("#upload-sample")
    page.locator(
        "#header-file-status", has_text="Sample uploaded: spring.jpg"
    ).wait_for()
    page.fill("#new-body", "{{1}}, spring is here.")
    page.locator(
        "#preview-problems", has_text="cannot start with a variable"
    ).wait_for()
    page.fill("#new-body", "Hi {{1}}, spring is here: {{2}} off this week.")
    page.fill("#new-body_examples", "Asha\n15%")
    page.select_option("#new-button-0-type", "QUICK_REPLY")
    page.fill("#new-button-0-text", "Book now")
    bubble = page.locator("#template-preview .bubble")
    bubble.filter(has_text="Hi Asha, spring is here: 15% off this week.").wait_for()
    page.locator("#template-preview .reply-button", has_text="Book now").wait_for()
    assert page.locator("#preview-problems").count() == 0
    shot(page, "templates-new-preview")

    page.get_by_role("button", name="Send to Meta for review").click()
    page.get_by_text("spring_offer (en_US) sent to Meta: APPROVED.").wait_for()
    row = page.locator("#templates tr", has_text="spring_offer")
    assert row.locator(".badge").inner_text() == "Approved"
    shot(page, "templates-created")

    row.get_by_text("Delete…").click()
    row.get_by_role("button", name="Delete template").click()
    page.get_by_text("spring_offer (en_US) deleted.").wait_for()
    assert page.locator("#templates tr", has_text="spring_offer").count() == 0
