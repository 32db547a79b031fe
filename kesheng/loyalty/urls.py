from django.urls import path

from kesheng.loyalty import views

app_name = "loyalty"

urlpatterns = [
    path("rewards/", views.rewards, name="rewards"),
]
