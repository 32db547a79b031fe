"""URLs of the member pages, under /m/ (beside messaging's /m/unsubscribe/)."""

from django.urls import path

from kesheng.loyalty import member_views as views

app_name = "loyalty_member"

urlpatterns = [
    path("", views.home, name="home"),
    path("sign-in/", views.sign_in, name="sign_in"),
    path("sign-in/code/", views.enter_code, name="code"),
    path("sign-out/", views.sign_out, name="sign_out"),
    path("link/<str:token>/", views.personal_link, name="link"),
    path("r/<str:code>/", views.referral_link, name="referral"),
    path("history/", views.history, name="history"),
    path("rewards/", views.rewards, name="rewards"),
    path("rewards/<int:reward_pk>/", views.redeem, name="redeem"),
    path("coupons/", views.coupons, name="coupons"),
    path("invite/", views.invite, name="invite"),
]
