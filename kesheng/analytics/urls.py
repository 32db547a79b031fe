from django.urls import path

from kesheng.analytics import views

app_name = "analytics"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("winback/", views.winback_lists, name="winback_lists"),
    path("winback/new/", views.winback_new, name="winback_new"),
    path("winback/<int:list_id>/", views.winback_detail, name="winback"),
]
