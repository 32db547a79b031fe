from django.urls import path

from kesheng.loyalty import referral_views, views

app_name = "loyalty"

urlpatterns = [
    path("rewards/", views.rewards, name="rewards"),
    path("referrals/", referral_views.referrals, name="referrals"),
]
