"""store: SQLAlchemy 2 async models and repositories; Alembic migrations (applied on start).

- `perpdesk.store.base.Base`: the declarative base for every platform table.
- `perpdesk.store.db`: `make_engine(url)`, `make_sessionmaker(engine)`, `migrate(url)`.
- `perpdesk.store.users` / `secrets`: users, sessions, sealed secrets; `repos` their repositories.
- `perpdesk.store.models_all`: imports every model module (used by Alembic's env.py).
"""
