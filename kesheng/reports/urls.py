from django.urls import path

from kesheng.reports import views

app_name = "reports"

urlpatterns = [
    path("cx/", views.cx_report, name="cx_report"),
]
