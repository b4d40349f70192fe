"""`flask crm rebuild-summaries` and `flask crm generate-data`."""

import time

import click

from crm.cli import crm_cli
from crm.extensions import db


@crm_cli.command("rebuild-summaries")
def rebuild_summaries_command() -> None:
    """Recompute the dashboard's summaries from gifts, plans and events.

    Every write keeps them current; run this after loading data around the application
    (a restore, a bulk import by SQL) or after changing ORG_TIMEZONE or
    FISCAL_YEAR_START_MONTH."""
    from crm.dashboard.rebuild import rebuild_summaries

    started = time.perf_counter()
    counts = rebuild_summaries(db.session.connection())
    db.session.commit()
    summary = ", ".join(f"{n:,} {name}" for name, n in counts.items())
    click.echo(f"Rebuilt {summary} in {time.perf_counter() - started:.1f} s.")


@crm_cli.command("generate-data")
@click.option("--scale", type=float, default=1.0, show_default=True,
              help="1.0: 100k contacts, 1M gifts over five years, 20k plans, 3k events, "
                   "100k registrations.")  # fmt: skip
@click.option("--seed", type=int, default=42, show_default=True)
@click.option("--yes", is_flag=True, help="Do not ask before adding to a database with data.")
def generate_data_command(scale: float, seed: int, yes: bool) -> None:
    """Fill the database with a realistic history for benchmarks (PostgreSQL: COPY)."""
    from crm.dashboard.generate import generate

    if not yes and db.session.execute(db.text("SELECT count(*) FROM contacts")).scalar():
        click.confirm("The database already holds contacts. Add generated data?", abort=True)
    started = time.perf_counter()
    counts = generate(scale, seed, echo=click.echo)
    db.session.commit()
    summary = ", ".join(f"{n:,} {name}" for name, n in counts.items())
    click.echo(f"Generated {summary} in {time.perf_counter() - started:.1f} s.")
