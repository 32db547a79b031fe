from django.urls import path

from kesheng.tracking import views

app_name = "tracking"

urlpatterns = [
    path("touchpoints/", views.touchpoint_map, name="touchpoint_map"),
]
