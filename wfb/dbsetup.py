"""Per-connection database settings."""

from sqlalchemy import event


def enable_sqlite_wal(engine) -> None:
    """WAL lets readers work while one writer commits; foreign keys need turning on."""

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()
