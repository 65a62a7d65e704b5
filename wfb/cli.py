"""`flask wfb ...`: commands for operators."""

import os

import click
from flask.cli import AppGroup

cli = AppGroup("wfb", help="WFB operations.")


@cli.command("seed-demo")
@click.option("--email", default="demo@wfb.local", show_default=True)
def seed_demo(email):
    """Create the demo org, its sandbox number and demo flow, and print the login."""
    from wfb.demo import seed

    try:
        login = seed(email)
    except RuntimeError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Demo login: {login['email']} / {login['password']}")
    port = os.environ.get("PORT", "8000")
    click.echo(
        f"Log in at /app (http://127.0.0.1:{port}/app under `make run`) and write to "
        "the sandbox phone."
    )


@cli.command("create-super-admin")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.password_option(help="Asked for (twice) when not given.")
def create_super_admin(email, name, password):
    """Create a super admin, who runs the platform and belongs to no org."""
    from wfb.errors import DomainError
    from wfb.super_admin.service import create_super_admin as create

    if len(password) < 8:
        raise click.BadParameter("use at least 8 characters", param_hint="password")
    try:
        user = create(email, name, password)
    except DomainError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"Super admin {user.email} created; log in at /super-admin/login.")
