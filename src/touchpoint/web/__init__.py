"""Server-rendered pages (Jinja2 + HTMX), charts and the zh-CN/en catalogues."""
