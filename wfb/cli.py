"""`flask wfb ...`: commands for operators."""

import click
from flask.cli import AppGroup

cli = AppGroup("wfb", help="WFB operations.")


@cli.command("seed-demo")
def seed_demo():
    """Create the demo org, its sandbox number and demo flow, and print the login."""
    from wfb.demo import seed

    login = seed()
    click.echo(f"Demo login: {login['email']} / {login['password']}")
