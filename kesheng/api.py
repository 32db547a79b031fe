"""The JSON API: composes each app's ninja Router under /api/v1/."""

from ninja import NinjaAPI

api = NinjaAPI(title="Kesheng API", version="1", urls_namespace="api-v1")
