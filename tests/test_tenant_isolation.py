"""Every route of the running app's OpenAPI document against design section 2.

(a) A route with a path parameter, asked by org B's admin for org A's resource,
answers 404 and leaves the resource as it was (a route org admins may not call at
all answers 403). (b) Every role outside a route's row of the table gets 401 or 403,
and a request without a token gets 401, except on the public routes.

A new route is covered without editing this file. A new path parameter needs a
factory in FACTORIES, and a path outside every pattern of ACCESS needs its row:
the tests fail and say so until they have them.
"""

import io
import re

import pytest

from tests.support import give_credentials, post_webhook, text_message
from tests.test_flow_validation import welcome_flow

pytestmark = pytest.mark.usefixtures("app")

SUPER, ADMIN, MARKETING, SALES = "super_admin", "admin", "marketing", "sales"
ORG_ROLES = frozenset({ADMIN, MARKETING, SALES})
EVERYONE = ORG_ROLES | {SUPER}
READS = frozenset({"get"})
WRITES = frozenset({"post", "put", "patch", "delete"})
ALL = READS | WRITES
CONTENT = "(/.*)?"

# Design section 2's table as (methods, path pattern, roles allowed); first match
# wins. Areas not built yet are here too, so their routes are checked on arrival.
ACCESS = [
    (ALL, "/super-admin/.*", {SUPER}),
    (ALL, f"/admin/(ai-models|credit-packs|orgs){CONTENT}", {SUPER}),
    (WRITES, f"/plans{CONTENT}", {SUPER}),
    (ALL, f"/admin/(access-list|team|users|audit-log){CONTENT}", {ADMIN}),
    (ALL, "/settings/.*", {ADMIN}),
    (ALL, "/billing/.*", {ADMIN}),
    (READS, "/phone-numbers/list", ORG_ROLES),
    (ALL, f"/phone-numbers{CONTENT}", {ADMIN}),
    (WRITES, f"/sales-team{CONTENT}", {ADMIN}),
    (READS, f"/sales-team{CONTENT}", ORG_ROLES),
    (WRITES, "(/api/v1)?/flows/[^/]+/phone-numbers", {ADMIN}),
    (
        ALL,
        f"(/api/v1)?/(flows|bots|knowledge-bases|campaigns|templates){CONTENT}",
        {ADMIN, MARKETING},
    ),
    (WRITES, f"(/api/v1)?/contacts{CONTENT}", {ADMIN, MARKETING}),
    (ALL, f"/upload-contacts{CONTENT}", {ADMIN, MARKETING}),
    (READS, f"(/api/v1)?/contacts{CONTENT}", ORG_ROLES),
    (ALL, f"/conversations{CONTENT}", ORG_ROLES),
    (ALL, "/auth/(me|logout)", EVERYONE),
]

# Routes that take no access token: their callers prove themselves otherwise
# (credentials in the body, a refresh token, a reset token, a webhook signature).
PUBLIC = [
    ({"post"}, "/auth/(signup|login|refresh|forgot-password|reset-password)"),
    ({"post"}, "/super-admin/login"),
    ({"get", "post"}, f"/webhook{CONTENT}"),
    ({"post"}, "/billing/webhook"),
    (READS, f"/plans{CONTENT}"),
]


def _matches(rules, method: str, path: str):
    for methods, pattern, *roles in rules:
        if method in methods and re.fullmatch(pattern, path):
            return roles[0] if roles else True
    return None


def is_public(method: str, path: str) -> bool:
    return bool(_matches(PUBLIC, method, path))


def allowed_roles(method: str, path: str) -> set:
    roles = _matches(ACCESS, method, path)
    if roles is None:
        pytest.fail(
            f"{method.upper()} {path} matches no row of ACCESS: add the roles that "
            "design section 2 gives it."
        )
    return roles


# Each path parameter's factory makes org A's resource through the API as its
# admin and answers the value for the path; `exists` checks it is still there.
def _flow(world):
    response = world.a.admin.post("/flows", json=welcome_flow())
    assert response.status_code == 201, response.json
    return response.json["id"]


def _phone(world):
    body = {"phone_number_id": "200000000000901", "display_phone_number": "15550009999"}
    give_credentials(world.a.admin)
    response = world.a.admin.post("/phone-numbers", json=body)
    assert response.status_code == 201, response.json
    return response.json["id"]


def _member(world):
    body = {"name": "Sam", "email": "sam.sales@acme.test", "phone": "+919876500001"}
    response = world.a.admin.post("/sales-team", json=body)
    assert response.status_code == 201, response.json
    return response.json["id"]


def _contact(world):
    response = world.a.admin.post("/contacts", json={"phone": "+919876500002"})
    assert response.status_code == 201, response.json
    return response.json["id"]


def _invitation(world):
    body = {"email": "pending@acme.test", "role": "sales"}
    response = world.a.admin.post("/admin/access-list", json=body)
    assert response.status_code == 201, response.json
    return "pending@acme.test"


def _template(world):
    body = {
        "name": "isolation_check",
        "language": "en_US",
        "category": "UTILITY",
        "components": [{"type": "BODY", "text": "Your visit is confirmed."}],
    }
    give_credentials(world.a.admin)
    response = world.a.admin.post("/templates", json=body)
    assert response.status_code == 201, response.json
    return body["name"]


def _listed(path: str, key: str):
    def exists(world, value) -> bool:
        items = world.a.admin.get(path).json["items"]
        return value in [item[key] for item in items]

    return exists


def _gettable(path: str):
    def exists(world, value) -> bool:
        return world.a.admin.get(path.format(value)).status_code == 200

    return exists


def _marketing_user_unchanged(world, value) -> bool:
    users = world.a.admin.get("/admin/team").json["items"]
    return {"id": value, "role": MARKETING} in [
        {"id": user["id"], "role": user["role"]} for user in users
    ]


def _version_kept(world, value) -> bool:
    flow_id = world.value("flow_id", "/flows/{flow_id}/versions/{version}")
    return world.a.admin.get(f"/flows/{flow_id}/versions/{value}").status_code == 200


def _org_active(world, value) -> bool:
    return world.a.admin.get("/auth/me").status_code == 200


def _campaign(world):
    from tests.test_campaigns_api import add_template

    add_template(world.a.org_id)
    body = {
        "name": "Scheduled",
        "phone_number_id": world.value("phone_id", "/campaigns/{campaign_id}"),
        "template": {"name": "order_update", "language": "en_US",
                     "parameters": ["Asha", "ORD-1"]},
        "audience": {"all": True},
        "schedule_at": "2100-01-01T00:00:00+00:00",
    }  # fmt: skip
    response = world.a.admin.post("/campaigns/send", json=body)
    assert response.status_code == 202, response.json
    return response.json["id"]


def _campaign_scheduled(world, value) -> bool:
    return world.a.admin.get(f"/campaigns/{value}").json["status"] == "scheduled"


def _customer(world):
    world.value("phone_id", "/phone-numbers/{phone_id}")
    org_id = world.a.org_id
    body = text_message("hi", "wamid.ISOLATION", phone_number_id="200000000000901")
    response = post_webhook(
        world.a.admin.client, body, "test_app_secret_0001", f"/webhook/{org_id}"
    )
    assert response.status_code == 200
    return "15550002222"


def _customer_message(world):
    number = world.value("number", "/conversations/{number}")
    history = world.a.admin.get(f"/conversations/{number}/messages").json
    return history["items"][0]["id"]


def _message_kept(world, value) -> bool:
    history = world.a.admin.get("/conversations/15550002222/messages").json
    return value in [message["id"] for message in history["items"]]


FACTORIES = {
    "flow_id": (_flow, _gettable("/flows/{}")),
    # Version 1 of org A's flow (made with it).
    "version": (lambda world: 1, _version_kept),
    "phone_id": (_phone, _gettable("/phone-numbers/{}")),
    "member_id": (_member, _listed("/sales-team", "id")),
    "contact_id": (_contact, _gettable("/contacts/{}")),
    "email": (_invitation, _listed("/admin/access-list", "email")),
    "user_id": (lambda world: world.a.marketing.id, _marketing_user_unchanged),
    "org_id": (lambda world: world.a.org_id, _org_active),
    "campaign_id": (_campaign, _campaign_scheduled),
    "name": (_template, _listed("/templates?sync=false", "name")),
    "number": (_customer, _gettable("/conversations/{}/messages")),
    # A message of org A's customer (made with the customer).
    "message_id": (_customer_message, _message_kept),
}


class World:
    """Org A with a user of each role, org B's admin, the super admin, and org A's
    resources made on first use."""

    def __init__(self, app, team, other_admin, super_admin):
        self.app = app
        self.a = team
        self.b_admin = other_admin
        self.super_admin = super_admin
        self.values = {}

    def clients(self) -> dict:
        return {**self.a.by_role, SUPER: self.super_admin}

    def value(self, name: str, path: str):
        if name not in FACTORIES:
            pytest.fail(
                f"No factory for the path parameter {name!r} of {path}: add one to "
                "FACTORIES in tests/test_tenant_isolation.py."
            )
        if name not in self.values:
            self.values[name] = FACTORIES[name][0](self)
        return self.values[name]

    def url(self, path: str) -> str:
        return re.sub(r"{(\w+)}", lambda m: str(self.value(m[1], path)), path)


@pytest.fixture
def world(app, team, other_admin, super_admin):
    return World(app, team, other_admin, super_admin)


@pytest.fixture
def spec(client):
    return client.get("/openapi.json").json


def operations(spec: dict):
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method in ALL:
                yield method, path, operation


def resolve(spec: dict, schema: dict) -> dict:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].split("/")[-1]]
    return schema


def sample(spec: dict, schema: dict):
    """A value that the schema accepts: only required properties, the smallest of
    everything."""
    schema = resolve(spec, schema)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next(k for k in kind if k != "null")
    if "enum" in schema:
        return schema["enum"][0]
    if kind == "object" or "properties" in schema:
        required = schema.get("required", [])
        properties = schema.get("properties", {})
        return {name: sample(spec, properties[name]) for name in required}
    if kind == "array":
        return [sample(spec, schema["items"])] * schema.get("minItems", 0)
    if kind in ("integer", "number"):
        return max(1, schema.get("minimum", 1))
    if kind == "boolean":
        return True
    if schema.get("format") == "email":
        return "someone@example.test"
    if schema.get("format") == "binary":
        return (io.BytesIO(b"x"), "sample.txt")
    return "1" * max(1, schema.get("minLength", 1))


def request_kwargs(spec: dict, operation: dict) -> dict:
    """A body and query that pass validation, so that only access decides."""
    kwargs = {}
    query = {
        p["name"]: sample(spec, p.get("schema", {}))
        for p in operation.get("parameters", [])
        if p["in"] == "query" and p.get("required")
    }
    if query:
        kwargs["query_string"] = query
    content = operation.get("requestBody", {}).get("content", {})
    if "application/json" in content:
        kwargs["json"] = sample(spec, content["application/json"]["schema"])
    elif "multipart/form-data" in content:
        kwargs["data"] = sample(spec, content["multipart/form-data"]["schema"])
        kwargs["content_type"] = "multipart/form-data"
    return kwargs


def call(api, method: str, url: str, spec: dict, operation: dict):
    return api._call(method.upper(), url, **request_kwargs(spec, operation))


def test_another_orgs_ids_answer_404_on_every_route(world, spec):
    refused = []
    touched = {}
    for method, path, operation in operations(spec):
        names = re.findall(r"{(\w+)}", path)
        if not names or is_public(method, path):
            continue
        url = world.url(path)
        expected = 404 if ADMIN in allowed_roles(method, path) else 403

        response = call(world.b_admin, method, url, spec, operation)

        if response.status_code != expected:
            refused.append((method.upper(), url, response.status_code, expected))
        touched.update({name: world.values[name] for name in names})

    assert refused == []
    for name, value in touched.items():
        assert FACTORIES[name][1](world, value), f"org A's {name} {value} changed"


def test_roles_outside_the_table_get_401_or_403_on_every_route(world, spec):
    anonymous = world.app.test_client()
    wrong = []
    for method, path, operation in operations(spec):
        if is_public(method, path):
            continue
        allowed = allowed_roles(method, path)
        url = world.url(path)
        kwargs = request_kwargs(spec, operation)

        response = anonymous.open(url, method=method.upper(), **kwargs)
        if response.status_code != 401:
            wrong.append((method.upper(), url, "no token", response.status_code))
        for role, api in world.clients().items():
            if role in allowed:
                continue
            response = call(api, method, url, spec, operation)
            if response.status_code not in (401, 403):
                wrong.append((method.upper(), url, role, response.status_code))

    assert wrong == []


def test_every_role_of_the_table_reaches_its_routes(world):
    answers = {
        "admin": world.a.admin.get("/settings/whatsapp").status_code,
        "marketing": world.a.marketing.api.get("/flows").status_code,
        "sales": world.a.sales.api.get("/phone-numbers/list").status_code,
        "sales team": world.a.sales.api.get("/sales-team").status_code,
        "super_admin": world.super_admin.get("/super-admin/dashboard").status_code,
    }

    assert answers == {
        "admin": 200,
        "marketing": 200,
        "sales": 200,
        "sales team": 200,
        "super_admin": 200,
    }


def test_the_super_admin_has_no_org_and_gets_403_on_org_routes(world):
    me = world.super_admin.get("/auth/me").json

    assert me["org_id"] is None
    assert world.super_admin.get("/flows").status_code == 403
    assert world.super_admin.get("/sales-team").status_code == 403
    assert world.super_admin.get("/phone-numbers/list").status_code == 403


def test_the_table_knows_public_routes_and_refuses_unknown_ones():
    assert is_public("post", "/auth/login")
    assert is_public("get", "/plans/3")
    assert not is_public("post", "/plans")
    assert allowed_roles("post", "/plans") == {SUPER}
    assert allowed_roles("get", "/contacts") == ORG_ROLES
    assert allowed_roles("post", "/api/v1/contacts/upload") == {ADMIN, MARKETING}
    with pytest.raises(pytest.fail.Exception, match="matches no row of ACCESS"):
        allowed_roles("get", "/reports")
