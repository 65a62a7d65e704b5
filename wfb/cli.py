"""`flask wfb ...`: commands for operators."""

import click
from flask.cli import AppGroup

cli = AppGroup("wfb", help="WFB operations.")


@cli.command("seed-demo")
@click.option("--email", default="demo@wfb.local", show_default=True)
def seed_demo(email):
    """Create the demo org, its sandbox number and demo flow, and print the login."""
    from wfb.demo import seed

    login = seed(email)
    click.echo(f"Demo login: {login['email']} / {login['password']}")
    click.echo(
        "Log in at /app (http://127.0.0.1:8000/app under `make run`) and write to "
        "the sandbox phone."
    )
