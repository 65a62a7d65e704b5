"""Meta's rules for a new template, checked here before anything is sent to Meta.

Each problem is named by its place in the request body (`components[1].text`), so a
client or the dashboard can show it next to the field.

Sources for the rules, read in 2026:
- Meta's template components page (developers.facebook.com/documentation/
  business-messaging/whatsapp/templates/components): a text header of at most 60
  characters with at most one parameter, and an example for it; media headers IMAGE,
  VIDEO or DOCUMENT with an `example.header_handle`; button labels of at most 25
  characters, URLs of at most 2000 with one parameter at the end, phone numbers of at
  most 20.
- the protocol notes (Meta's message templates reference): names of lowercase letters,
  digits and underscores, at most 512 characters; a body of at most 1024.
- Bird's and YCloud's template references: a footer of at most 60 characters, at most
  10 buttons; Gupshup's button list, quoting Meta: at most 2 URL buttons and 1 phone
  number button, quick replies grouped apart from the other buttons.
- Meta's template guidelines, as Twilio's error 63040 page quotes them: parameters are
  sequential ({{1}}, {{2}}, ... without gaps), never next to each other, and the body
  neither starts nor ends with one; every parameter needs an example.
"""

import re

NAME = re.compile(r"\A[a-z0-9_]+\Z")
NAME_MAX = 512
BODY_MAX = 1024
HEADER_MAX = 60
FOOTER_MAX = 60
BUTTON_TEXT_MAX = 25
URL_MAX = 2000
PHONE_MAX = 20
BUTTONS_MAX = 10
URL_BUTTONS_MAX = 2
PHONE_BUTTONS_MAX = 1
CODE_EXPIRY_MINUTES = (1, 90)

CATEGORIES = ("MARKETING", "UTILITY", "AUTHENTICATION")
PARAMETER_FORMATS = ("POSITIONAL", "NAMED")
COMPONENT_TYPES = ("HEADER", "BODY", "FOOTER", "BUTTONS")
MEDIA_FORMATS = ("IMAGE", "VIDEO", "DOCUMENT")
HEADER_FORMATS = ("TEXT", *MEDIA_FORMATS, "LOCATION")
BUTTON_TYPES = ("QUICK_REPLY", "URL", "PHONE_NUMBER", "COPY_CODE")
OTP_TYPES = ("COPY_CODE", "ONE_TAP", "ZERO_TAP")
# Meta's supported template languages, by the codes its API uses.
LANGUAGES = (
    "af", "sq", "ar", "ar_EG", "ar_AE", "ar_LB", "ar_MA", "ar_QA", "az", "be_BY",
    "bn", "bn_IN", "bg", "ca", "zh_CN", "zh_HK", "zh_TW", "hr", "cs", "da", "prs_AF",
    "nl", "nl_BE", "en", "en_GB", "en_US", "en_AE", "en_AU", "en_CA", "en_GH",
    "en_IE", "en_IN", "en_JM", "en_MY", "en_NZ", "en_QA", "en_SG", "en_UG", "en_ZA",
    "et", "fil", "fi", "fr", "fr_BE", "fr_CA", "fr_CH", "fr_CI", "fr_MA", "ka", "de",
    "de_AT", "de_CH", "el", "gu", "ha", "he", "hi", "hu", "id", "ga", "it", "ja",
    "kn", "kk", "rw_RW", "ko", "ky_KG", "lo", "lv", "lt", "mk", "ms", "ml", "mr",
    "nb", "ps_AF", "fa", "pl", "pt_BR", "pt_PT", "pa", "ro", "ru", "sr", "si_LK",
    "sk", "sl", "es", "es_AR", "es_CL", "es_CO", "es_CR", "es_DO", "es_EC", "es_HN",
    "es_MX", "es_PA", "es_PE", "es_ES", "es_UY", "sw", "sv", "ta", "te", "th", "tr",
    "uk", "ur", "uz", "vi", "zu",
)  # fmt: skip
ANY_BRACES = re.compile(r"\{\{.*?\}\}|\{\{|\}\}")
# Stricter than what `slots` reads from Meta: no spaces inside the braces.
POSITIONAL = re.compile(r"\{\{([0-9]+)\}\}")
NAMED = re.compile(r"\{\{([a-z_][a-z0-9_]*)\}\}")


class Problems(dict):
    """Messages by place, in the shape of smorest's validation errors."""

    def add(self, place: str, message: str) -> None:
        self.setdefault(place, []).append(message)


def check_template(body: dict) -> Problems:
    """Every problem of a template create body, by place; empty when it may go."""
    problems = Problems()
    check_name(body.get("name"), problems)
    if body.get("language") not in LANGUAGES:
        problems.add("language", "Use one of Meta's language codes, such as en_US.")
    category = body.get("category")
    if category not in CATEGORIES:
        problems.add("category", f"Use one of {', '.join(CATEGORIES)}.")
    named = body.get("parameter_format", "POSITIONAL") == "NAMED"
    if body.get("parameter_format", "POSITIONAL") not in PARAMETER_FORMATS:
        problems.add("parameter_format", "Use POSITIONAL or NAMED.")

    components = body.get("components")
    if not isinstance(components, list) or not components:
        problems.add("components", "Give the template at least a BODY component.")
        return problems
    placed = place_components(components, problems)
    if category == "AUTHENTICATION":
        check_authentication(placed, problems)
    else:
        check_standard(placed, named, problems)
    return problems


def check_name(name, problems: Problems) -> None:
    if not isinstance(name, str) or not name:
        problems.add("name", "Give the template a name.")
    elif len(name) > NAME_MAX:
        problems.add("name", f"At most {NAME_MAX} characters.")
    elif not NAME.match(name):
        problems.add("name", "Only lowercase letters, digits and underscores.")


def place_components(components: list, problems: Problems) -> dict:
    """Each component type's (place, component); duplicates and strangers refused."""
    placed = {}
    for index, component in enumerate(components):
        place = f"components[{index}]"
        kind = component.get("type") if isinstance(component, dict) else None
        if kind not in COMPONENT_TYPES:
            problems.add(f"{place}.type", f"Use one of {', '.join(COMPONENT_TYPES)}.")
        elif kind in placed:
            problems.add(place, f"A template has at most one {kind} component.")
        else:
            placed[kind] = (place, component)
    if "BODY" not in placed:
        problems.add("components", "A template needs exactly one BODY component.")
    return placed


def check_standard(placed: dict, named: bool, problems: Problems) -> None:
    if "HEADER" in placed:
        check_header(*placed["HEADER"], named, problems)
    if "BODY" in placed:
        check_body(*placed["BODY"], named, problems)
    if "FOOTER" in placed:
        place, footer = placed["FOOTER"]
        text = check_text(footer, f"{place}.text", FOOTER_MAX, problems)
        if text and "{{" in text:
            problems.add(f"{place}.text", "A footer cannot have variables.")
    if "BUTTONS" in placed:
        check_buttons(*placed["BUTTONS"], problems)


def check_text(component: dict, place: str, limit: int, problems: Problems) -> str:
    text = component.get("text")
    if not isinstance(text, str) or not text.strip():
        problems.add(place, "Write the text.")
        return ""
    if len(text) > limit:
        problems.add(place, f"At most {limit} characters (this has {len(text)}).")
    return text


def check_header(place: str, header: dict, named: bool, problems: Problems) -> None:
    header_format = header.get("format")
    if header_format not in HEADER_FORMATS:
        problems.add(f"{place}.format", f"Use one of {', '.join(HEADER_FORMATS)}.")
        return
    example = header.get("example") if isinstance(header.get("example"), dict) else {}
    if header_format in MEDIA_FORMATS:
        handles = example.get("header_handle")
        if not isinstance(handles, list) or not handles or not all(handles):
            problems.add(
                f"{place}.example.header_handle",
                f"Upload a sample {header_format.lower()} and give its handle.",
            )
        return
    if header_format != "TEXT":
        return
    text = check_text(header, f"{place}.text", HEADER_MAX, problems)
    if "\n" in text:
        problems.add(f"{place}.text", "A header is one line.")
    names = variables(text, named, f"{place}.text", problems)
    if len(names) > 1:
        problems.add(f"{place}.text", "A header has at most one variable.")
    elif names:
        check_examples(example, names, named, "header", place, problems)


def check_body(place: str, body: dict, named: bool, problems: Problems) -> None:
    text = check_text(body, f"{place}.text", BODY_MAX, problems)
    names = variables(text, named, f"{place}.text", problems)
    if not names:
        return
    stripped = text.strip()
    if stripped.startswith("{{"):
        problems.add(f"{place}.text", "The body cannot start with a variable.")
    if stripped.endswith("}}"):
        problems.add(f"{place}.text", "The body cannot end with a variable.")
    if re.search(r"\}\}\s*\{\{", text):
        problems.add(f"{place}.text", "Put words between two variables.")
    example = body.get("example") if isinstance(body.get("example"), dict) else {}
    check_examples(example, names, named, "body", place, problems)


def variables(text: str, named: bool, place: str, problems: Problems) -> list[str]:
    """The text's variables in their first order; malformed or unordered refused."""
    pattern = NAMED if named else POSITIONAL
    for braces in ANY_BRACES.findall(text):
        if not pattern.fullmatch(braces):
            shape = "{{first_name}}" if named else "{{1}}"
            problems.add(place, f"{braces} is not a variable; write one as {shape}.")
            return []
    found = list(dict.fromkeys(pattern.findall(text)))
    if not named and found != [str(n) for n in range(1, len(found) + 1)]:
        shown = ", ".join("{{" + n + "}}" for n in found)
        problems.add(
            place,
            "Number the variables {{1}}, {{2}}, ... in the order they appear, "
            f"without gaps; this text has {shown}.",
        )
        return []
    return found


def check_examples(example, names, named, part, place, problems: Problems) -> None:
    """An example value for each variable, where Meta expects it for `part`."""
    if named:
        key = f"{part}_text_named_params"
        given = example.get(key) if isinstance(example.get(key), list) else []
        values = {
            item.get("param_name"): item.get("example")
            for item in given
            if isinstance(item, dict)
        }
        missing = [name for name in names if not filled(values.get(name))]
        if missing:
            problems.add(
                f"{place}.example.{key}", f"Give an example for {', '.join(missing)}."
            )
        return
    key = f"{part}_text"
    values = example.get(key)
    if part == "body":
        values = values[0] if isinstance(values, list) and values else None
    if not isinstance(values, list) or len(values) != len(names):
        problems.add(
            f"{place}.example.{key}", f"Give {len(names)} example value(s), in order."
        )
    elif not all(filled(value) for value in values):
        problems.add(f"{place}.example.{key}", "Every example needs a value.")


def filled(value) -> bool:
    return isinstance(value, str) and bool(value.strip())


def check_buttons(place: str, component: dict, problems: Problems) -> None:
    buttons = component.get("buttons")
    if not isinstance(buttons, list) or not 1 <= len(buttons) <= BUTTONS_MAX:
        problems.add(f"{place}.buttons", f"Give 1 to {BUTTONS_MAX} buttons.")
        return
    kinds = []
    for index, button in enumerate(buttons):
        where = f"{place}.buttons[{index}]"
        kind = button.get("type") if isinstance(button, dict) else None
        if kind not in BUTTON_TYPES:
            problems.add(f"{where}.type", f"Use one of {', '.join(BUTTON_TYPES)}.")
            continue
        kinds.append(kind)
        check_button(where, kind, button, problems)
    check_button_mix(f"{place}.buttons", kinds, problems)


def check_button(where: str, kind: str, button: dict, problems: Problems) -> None:
    if kind != "COPY_CODE":
        check_text(button, f"{where}.text", BUTTON_TEXT_MAX, problems)
    if kind == "URL":
        check_url(where, button, problems)
    elif kind == "PHONE_NUMBER":
        phone = button.get("phone_number")
        if not isinstance(phone, str) or not re.fullmatch(r"\+?[0-9]{6,19}", phone):
            problems.add(
                f"{where}.phone_number",
                f"An international phone number, at most {PHONE_MAX} characters.",
            )
    elif kind == "COPY_CODE" and not filled(button.get("example")):
        problems.add(f"{where}.example", "Give an example of the code to copy.")


def check_url(where: str, button: dict, problems: Problems) -> None:
    url = button.get("url")
    if not isinstance(url, str) or not re.match(r"https?://[^\s/]+", url):
        problems.add(f"{where}.url", "Give a web address starting with https://.")
        return
    if len(url) > URL_MAX:
        problems.add(f"{where}.url", f"At most {URL_MAX} characters.")
    count = len(ANY_BRACES.findall(url))
    if count == 0:
        return
    if count > 1 or not url.endswith("{{1}}"):
        problems.add(
            f"{where}.url", "A web address has one variable, {{1}}, at its end."
        )
        return
    example = button.get("example")
    example = example[0] if isinstance(example, list) and example else example
    if not filled(example):
        problems.add(f"{where}.example", "Give an example of the full web address.")


def check_button_mix(place: str, kinds: list[str], problems: Problems) -> None:
    if kinds.count("URL") > URL_BUTTONS_MAX:
        problems.add(place, f"At most {URL_BUTTONS_MAX} web address buttons.")
    if kinds.count("PHONE_NUMBER") > PHONE_BUTTONS_MAX:
        problems.add(place, "At most one phone number button.")
    if kinds.count("COPY_CODE") > 1:
        problems.add(place, "At most one copy code button.")
    groups = [kind == "QUICK_REPLY" for kind in kinds]
    changes = sum(1 for a, b in zip(groups, groups[1:], strict=False) if a != b)
    if changes > 1:
        problems.add(place, "Keep quick replies together, before or after the others.")


def check_authentication(placed: dict, problems: Problems) -> None:
    """Authentication templates: Meta writes the text; only the code's options."""
    if "HEADER" in placed:
        problems.add(placed["HEADER"][0], "Authentication templates have no header.")
    if "BODY" in placed:
        place, body = placed["BODY"]
        if body.get("text"):
            problems.add(f"{place}.text", "Meta writes an authentication body.")
    if "FOOTER" in placed:
        place, footer = placed["FOOTER"]
        minutes = footer.get("code_expiration_minutes")
        low, high = CODE_EXPIRY_MINUTES
        if not isinstance(minutes, int) or not low <= minutes <= high:
            problems.add(
                f"{place}.code_expiration_minutes", f"A number from {low} to {high}."
            )
    place, buttons = placed.get("BUTTONS", ("components", {}))
    buttons = buttons.get("buttons") if isinstance(buttons, dict) else None
    button = buttons[0] if isinstance(buttons, list) and len(buttons) == 1 else None
    if not isinstance(button, dict) or button.get("type") != "OTP":
        problems.add(place, "Give exactly one button of type OTP.")
    elif button.get("otp_type") not in OTP_TYPES:
        problems.add(
            f"{place}.buttons[0].otp_type", f"Use one of {', '.join(OTP_TYPES)}."
        )
