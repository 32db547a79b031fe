from django.urls import path

from kesheng.loyalty import campaign_views, referral_views, views

app_name = "loyalty"

urlpatterns = [
    path("rewards/", views.rewards, name="rewards"),
    path("referrals/", referral_views.referrals, name="referrals"),
    path("campaigns/", campaign_views.campaign_list, name="campaigns"),
    path("campaigns/new/", campaign_views.campaign_new, name="campaign_new"),
    path("campaigns/<int:campaign_id>/", campaign_views.campaign_detail, name="campaign"),
    path(
        "campaigns/<int:campaign_id>/launch/",
        campaign_views.campaign_launch,
        name="campaign_launch",
    ),
]
