from django.urls import path

from kesheng.analytics import views_journeys

app_name = "analytics_journeys"

urlpatterns = [
    path("", views_journeys.journeys_page, name="journeys"),
]
