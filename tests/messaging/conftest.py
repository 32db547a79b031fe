import pytest

from tests.messaging.smtp import running_smtp_server


@pytest.fixture
def smtp_server(settings):
    with running_smtp_server(settings) as handler:
        yield handler


@pytest.fixture
def public_url(settings):
    settings.KESHENG_PUBLIC_URL = "http://testserver"
    return settings.KESHENG_PUBLIC_URL
