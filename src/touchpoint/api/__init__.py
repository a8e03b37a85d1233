"""FastAPI routers and pydantic schemas: parse, call a service, map errors."""
