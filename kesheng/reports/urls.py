from django.urls import path

from kesheng.reports import views

app_name = "reports"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("compare/", views.comparison, name="comparison"),
    path("crosstab/", views.crosstab, name="crosstab"),
    path("sample-size/", views.sample_size, name="sample_size"),
    path("cx/", views.cx_report, name="cx_report"),
    path("loyalty/", views.loyalty_report, name="loyalty_report"),
]
