"""Settings a deployer sets: where respondents reach the server."""

from touchpoint.settings import Settings


def test_the_public_url_defaults_to_where_the_server_listens() -> None:
    assert Settings().effective_public_url() == "http://127.0.0.1:8000"
    assert Settings(port=8011).effective_public_url() == "http://127.0.0.1:8011"
    assert Settings(host="0.0.0.0", port=80).effective_public_url() == "http://127.0.0.1:80"  # noqa: S104
    assert Settings(host="::1", port=8000).effective_public_url() == "http://[::1]:8000"
    configured = Settings(public_url="https://desk.example.com", port=8011)
    assert configured.effective_public_url() == "https://desk.example.com"
