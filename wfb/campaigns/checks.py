"""A campaign checked before it is sent: who it reaches and what would go wrong.

Nothing is stored. The findings are those a send would act on: problems with the
values as written refuse the send; contacts opted out are skipped; contacts whose
own values do not fit (an empty `{{contact.name}}`) are recorded failed.
"""

from sqlalchemy import func, select

from wfb.campaigns import fit
from wfb.campaigns.service import audience_size
from wfb.contacts.models import Contact
from wfb.contacts.service import audience_query
from wfb.errors import DomainError
from wfb.extensions import db
from wfb.phone_numbers.models import PhoneNumber
from wfb.tenancy import scoped

# The values of this many contacts at most are tried; the rest are tried as sent.
MAX_CHECKED = 100_000
EXAMPLES = 5


def check(org_id: int, data: dict) -> dict:
    """The audience's size and the findings of a send of `data`, nothing stored."""
    problems = _number_problems(org_id, data["phone_number_id"])
    plan, template_problems = fit.plan_for(org_id, data["template"])
    problems += template_problems
    try:
        size = audience_size(org_id, data["audience"])
        opted_out = _opted_out(org_id, data["audience"])
    except DomainError as error:
        size = opted_out = 0
        problems.append(fit.Problem("audience", error.message))
    if size == 0 and not problems:
        problems.append(fit.Problem("audience", "The audience has no contacts."))

    unfit, checked, examples = 0, 0, []
    if plan is not None and size:
        unfit, checked, examples = _try_values(org_id, data["audience"], plan)
    return {
        "ok": not problems,
        "audience": size,
        "opted_out": opted_out,
        "unfit": unfit,
        "sendable": max(0, size - opted_out - unfit),
        "checked": checked,
        "problems": [p.as_dict() for p in problems],
        "unfit_examples": examples,
    }


def _number_problems(org_id: int, number_id) -> list[fit.Problem]:
    number = db.session.scalar(
        scoped(PhoneNumber, org_id).where(PhoneNumber.id == number_id)
    )
    if number is not None:
        return []
    message = f"No phone number with id {number_id} in this org."
    return [fit.Problem("phone_number_id", message)]


def _opted_out(org_id: int, audience: dict) -> int:
    query = audience_query(org_id, audience).where(Contact.opted_out.is_(True))
    return db.session.scalar(
        select(func.count()).select_from(query.order_by(None).subquery())
    )


def _try_values(org_id: int, audience: dict, plan: fit.Plan):
    """How many contacts' values do not fit, of how many tried, with examples."""
    if not plan.personal:
        return 0, 0, []
    query = (
        audience_query(org_id, audience)
        .where(Contact.opted_out.is_(False))
        .with_only_columns(
            Contact.id, Contact.name, Contact.phone, Contact.tags, Contact.attributes
        )
        .limit(MAX_CHECKED)
        .execution_options(yield_per=2000)
    )
    unfit, checked, examples = 0, 0, []
    for contact in db.session.execute(query):
        checked += 1
        try:
            plan.components(contact)
        except fit.Unfit as error:
            unfit += 1
            if len(examples) < EXAMPLES:
                examples.append(
                    {
                        "contact_id": contact.id,
                        "phone": contact.phone,
                        "reason": error.reason,
                    }
                )
    return unfit, checked, examples
