"""Bearer API-key authentication for the ninja routers, one instance per required scope.

``auth=ApiKeyAuth(Scope.EVENTS_WRITE)`` on an operation: a missing, malformed, unknown or revoked
key is refused with 401, a valid key without the scope with 403 naming the scope.
"""

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.errors import AuthenticationError, AuthorizationError
from ninja.security import HttpBearer

from kesheng.accounts.actions import mark_api_key_used
from kesheng.accounts.models import ApiKey
from kesheng.accounts.queries import authenticate_api_key


class ApiKeyAuth(HttpBearer):
    def __init__(self, scope: str):
        super().__init__()
        self.scope = str(scope)

    def __call__(self, request: HttpRequest) -> ApiKey:
        header = request.headers.get(self.header, "")
        scheme, _separator, token = header.strip().partition(" ")
        if not header:
            raise AuthenticationError(
                401, _("missing API key: send the header 'Authorization: Bearer ks_...'")
            )
        if scheme.lower() != self.openapi_scheme or not token.strip():
            raise AuthenticationError(
                401, _("the Authorization header must be 'Bearer ' followed by an API key")
            )
        return self.authenticate(request, token.strip())

    def authenticate(self, request: HttpRequest, token: str) -> ApiKey:
        api_key = authenticate_api_key(token)
        if api_key is None:
            raise AuthenticationError(401, _("invalid or revoked API key"))
        if not api_key.has_scope(self.scope):
            raise AuthorizationError(
                403, _("this API key needs scope %(scope)s") % {"scope": self.scope}
            )
        mark_api_key_used(api_key=api_key)
        return api_key
