from applications.enums import ApplicationState as S
from certificates.models import Certificate


def test_flow_walks_an_application_to_a_certificate(flow):
    app = flow.to(flow.draft(), S.ISSUED)
    certificate = Certificate.objects.get(application=app)
    assert certificate.grade == "IETS-3"
    assert certificate.status == "valid"

