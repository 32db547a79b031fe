"""URL wiring: the staff UI, the admin and the JSON API."""

from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from kesheng.api import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("m/", include("kesheng.messaging.urls")),
    path("m/", include("kesheng.loyalty.member_urls")),
    path("surveys/", include("kesheng.surveys.urls")),
    path("reports/", include("kesheng.reports.urls")),
    path("feedback/", include("kesheng.feedback.urls")),
    path("loyalty/", include("kesheng.loyalty.urls")),
    path("cases/", include("kesheng.cases.urls")),
    path("analytics/journeys/", include("kesheng.analytics.urls_journeys")),
    path("analytics/", include("kesheng.analytics.urls")),
    path("", RedirectView.as_view(pattern_name="customers:list"), name="home"),
    path("", include("kesheng.customers.urls")),
    path("", include("kesheng.tracking.urls")),
    path("", include("kesheng.surveys.urls_public")),
    path("", include("kesheng.feedback.urls_public")),
]
