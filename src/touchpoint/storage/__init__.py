"""SQLAlchemy 2 models, repositories, session scope and Alembic migrations."""
