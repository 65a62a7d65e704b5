"""Phone numbers in E.164, the one form WFB stores, by Google's `phonenumbers`."""

import phonenumbers


def e164(raw: str, region: str, strict: bool = True) -> str | None:
    """`raw` in E.164 (`+919876543210`), or None when it is not a phone number.

    `region` is the country assumed for a number written without one; `strict`
    also asks that the number be assigned, not merely of a possible length.
    """
    try:
        parsed = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    check = phonenumbers.is_valid_number if strict else phonenumbers.is_possible_number
    if not check(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
