"""The public complaint form and help articles (no login)."""

from django.urls import path

from kesheng.feedback import views_help, views_public

app_name = "feedback_public"

urlpatterns = [
    path("complaint/", views_public.complaint_form, name="complaint"),
    path("complaint/thanks/", views_public.complaint_thanks, name="complaint_thanks"),
    path("complaint/suggest/", views_help.complaint_suggestions, name="complaint_suggestions"),
    path("help/", views_help.help_index, name="help"),
    path("help/<slug:slug>/", views_help.help_article, name="help_article"),
    path("help/<slug:slug>/vote/", views_help.help_vote, name="help_vote"),
]
