import pytest

from comanaged.tenancy.tests.factories import ClientFactory


@pytest.mark.django_db
def test_new_client_gets_default_business_hours():
    client = ClientFactory()
    assert client.business_hours.count() == 5
