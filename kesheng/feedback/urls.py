from django.urls import path

from kesheng.feedback import views

app_name = "feedback"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("<int:item_id>/", views.item_detail, name="detail"),
    path("<int:item_id>/correct/", views.correct_item, name="correct"),
    path("<int:item_id>/photo/", views.complaint_photo, name="complaint_photo"),
    path("tags/", views.bulk_tag, name="bulk_tag"),
    path("alerts/subscription/", views.alert_subscription, name="alert_subscription"),
]
