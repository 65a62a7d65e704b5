"""The dashboard: server-rendered pages under /app, one blueprint per feature."""

from flask import Flask


def register_pages(app: Flask) -> None:
    """Register every feature's pages; the sandbox's only while the sandbox runs."""
    from wfb.accounts.team_views import bp as team
    from wfb.accounts.views import bp as accounts
    from wfb.campaigns.views import bp as campaigns
    from wfb.contacts.views import bp as contacts
    from wfb.conversations.views import bp as inbox
    from wfb.credentials.views import bp as credentials
    from wfb.dashboard.views import bp as shell
    from wfb.flows.editor_views import bp as flow_editor
    from wfb.flows.views import bp as flows
    from wfb.message_templates.views import bp as templates
    from wfb.phone_numbers.views import bp as phone_numbers
    from wfb.sales_team.views import bp as sales_team
    from wfb.sandbox.views import bp as sandbox
    from wfb.super_admin.views import bp as super_admin

    pages = (
        shell,
        accounts,
        team,
        credentials,
        phone_numbers,
        sales_team,
        super_admin,
        flows,
        flow_editor,
        contacts,
        templates,
        campaigns,
        inbox,
    )
    for blueprint in pages:
        app.register_blueprint(blueprint)
    if app.config["SETTINGS"].WFB_SANDBOX:
        app.register_blueprint(sandbox)
