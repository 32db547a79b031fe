"""The public complaint form (no login)."""

from django.urls import path

from kesheng.feedback import views_public

app_name = "feedback_public"

urlpatterns = [
    path("complaint/", views_public.complaint_form, name="complaint"),
    path("complaint/thanks/", views_public.complaint_thanks, name="complaint_thanks"),
]
