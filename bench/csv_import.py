"""How fast WFB imports a CSV file of contacts, against the least work that does the
same job.

WFB runs under gunicorn with the product's config on 127.0.0.1 and gets one
`POST /upload-contacts` of a 100,000-row file (numbers written as people write them:
with spaces, a trunk zero, a country code or none). The yardstick, in this process:
Python's csv module reads the same file, `phonenumbers` (through `wfb.phones.e164`, as
WFB does) normalizes each number, and one bulk insert by the database driver writes
the rows into the same database's contacts table, for a second org.

    .venv/bin/python -m bench.csv_import [--mode embedded|scaled] [--rows 100000]
"""

import argparse
import csv
import json
import sys
import time

import requests

from bench.common import Bench, free_port, table

GOAL_RATIO = 0.5
PASSWORD = "correct-horse-battery"
COLUMNS = "org_id, phone, name, tags, attributes, opted_out, created_at, updated_at"


def main() -> int:
    args = parse_args()
    with Bench(args.mode) as bench:
        results = run(bench, args)
    print(report(bench, args, results))
    return 0


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=("embedded", "scaled"), default="embedded")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    args = parser.parse_args()
    if not 1_000 <= args.rows <= 300_000:
        parser.error("keep the file between 1,000 and 300,000 rows")
    return args


def run(bench: Bench, args) -> dict:
    from tests.standins.graph import GraphStandIn

    graph = GraphStandIn()
    try:
        bench.prepare(graph.url)
    finally:
        graph.close()
    path = write_csv(bench, args.rows)
    embedded = "true" if bench.mode == "embedded" else "false"
    env = bench.env(WFB_EMBEDDED_WORKER=embedded)
    port = free_port()
    web = bench.start_web("wsgi:app", port, env, workers=args.workers)
    try:
        base = f"http://127.0.0.1:{port}"
        token = log_in(base, "admin@bench.test")
        results = {"bytes": path.stat().st_size}
        results["first"] = upload(base, token, path)
        results["again"] = upload(base, token, path)
        other = sign_up(base)
    finally:
        bench.stop(web)
    results["least"] = least_work(bench, path, other)
    return results


def write_csv(bench: Bench, rows: int):
    """Indian mobile numbers in four spellings, a name, two tags and a city."""
    path = bench.dir / "contacts.csv"
    spellings = ("+91 {a} {b}", "0{a} {b}", "91{a}{b}", "{a}-{b}")
    with open(path, "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["phone", "name", "tags", "city"])
        for serial in range(rows):
            digits = f"9{serial:09d}"
            phone = spellings[serial % 4].format(a=digits[:5], b=digits[5:])
            tags = "vip;newsletter" if serial % 3 else "newsletter"
            writer.writerow([phone, f"Customer {serial}", tags, "Pune"])
    return path


def log_in(base: str, email: str) -> str:
    body = {"email": email, "password": PASSWORD}
    response = requests.post(f"{base}/auth/login", json=body, timeout=30)
    response.raise_for_status()
    return response.json()["access_token"]


def sign_up(base: str) -> int:
    """A second org, whose contacts table rows the yardstick writes."""
    body = {
        "organization_name": "Yardstick",
        "name": "Yard Stick",
        "email": "yard@bench.test",
        "password": PASSWORD,
    }
    response = requests.post(f"{base}/auth/signup", json=body, timeout=30)
    response.raise_for_status()
    return response.json()["user"]["org_id"]


def upload(base: str, token: str, path) -> dict:
    headers = {"Authorization": f"Bearer {token}"}
    with open(path, "rb") as file:
        started = time.perf_counter()
        response = requests.post(
            f"{base}/upload-contacts",
            headers=headers,
            files={"file": ("contacts.csv", file, "text/csv")},
            timeout=600,
        )
        seconds = time.perf_counter() - started
    response.raise_for_status()
    return {"seconds": seconds, **response.json()}


def least_work(bench: Bench, path, org_id: int) -> dict:
    """csv reads, phonenumbers normalizes, the driver inserts once and commits."""
    from wfb.models_base import utcnow
    from wfb.phones import e164

    connection = _connect(bench)
    started = time.perf_counter()
    now = utcnow()
    if bench.mode == "embedded":
        # SQLAlchemy's own text form of a timestamp in SQLite.
        now = now.strftime("%Y-%m-%d %H:%M:%S.%f")
    rows = []
    with open(path, newline="", encoding="utf-8") as file:
        reader = csv.reader(file)
        next(reader)
        for phone, name, tags, city in reader:
            number = e164(phone, "IN")
            tag_list = json.dumps(tags.split(";"))
            attributes = json.dumps({"city": city})
            rows.append((org_id, number, name, tag_list, attributes, False, now, now))
    _insert(bench, connection, rows)
    seconds = time.perf_counter() - started
    connection.close()
    return {"seconds": seconds, "created": len(rows)}


def _connect(bench: Bench):
    if bench.mode == "scaled":
        import psycopg2

        return psycopg2.connect(bench.database_url)
    import sqlite3

    return sqlite3.connect(bench.database_url.removeprefix("sqlite:///"))


def _insert(bench: Bench, connection, rows: list) -> None:
    if bench.mode == "scaled":
        from psycopg2.extras import execute_values

        with connection.cursor() as cursor:
            sql = f"INSERT INTO contacts ({COLUMNS}) VALUES %s"
            execute_values(cursor, sql, rows, page_size=1000)
    else:
        marks = ", ".join("?" * len(rows[0]))
        sql = f"INSERT INTO contacts ({COLUMNS}) VALUES ({marks})"
        connection.executemany(sql, rows)
    connection.commit()


def report(bench: Bench, args, results: dict) -> str:
    first, again, least = results["first"], results["again"], results["least"]
    rates = {
        name: args.rows / result["seconds"]
        for name, result in (("first", first), ("again", again), ("least", least))
    }
    ratio = rates["first"] / rates["least"]
    database = "PostgreSQL" if bench.mode == "scaled" else "SQLite (WAL)"
    head = (
        f"CSV import, {bench.mode} mode: {database}; gunicorn -k gevent "
        f"-w {args.workers}\n{args.rows:,} rows, {results['bytes'] / 1e6:.1f} MB, "
        "one POST /upload-contacts each\n"
    )
    rows = [
        ("WFB, new contacts", _line(rates["first"], first)),
        ("WFB, same file again", _line(rates["again"], again)),
        ("least work (csv + e164 + insert)", f"{rates['least']:>9,.0f} rows/s"),
        (
            "WFB / least work",
            f"{ratio:.2f}  (goal >= {GOAL_RATIO}: "
            f"{'met' if ratio >= GOAL_RATIO else 'NOT met'})",
        ),
    ]
    return head + "\n" + table(rows)


def _line(rate: float, result: dict) -> str:
    return (
        f"{rate:>9,.0f} rows/s  ({result['seconds']:.2f} s: {result['created']:,} "
        f"created, {result['updated']:,} updated, {result['failed']:,} failed)"
    )


if __name__ == "__main__":
    started = time.monotonic()
    code = main()
    print(f"\n(finished in {time.monotonic() - started:.0f} s)")
    sys.exit(code)
