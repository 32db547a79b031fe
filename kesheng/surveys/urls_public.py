"""Public respondent pages (no login): anonymous links and personal links."""

from django.urls import path

from kesheng.surveys import views_public

app_name = "surveys_public"

urlpatterns = [
    path("s/<slug:slug>/", views_public.survey_link, name="survey_link"),
    path("r/<str:token>/", views_public.personal_link, name="personal_link"),
]
