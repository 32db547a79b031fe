from django.urls import path

from kesheng.customers import views

app_name = "customers"

urlpatterns = [
    path("customers/", views.customer_list, name="list"),
    # Before the customer page, whose id would otherwise swallow "segments".
    path("customers/segments/", views.segment_list, name="segments"),
    path("customers/segments/new/", views.segment_new, name="segment_new"),
    path("customers/segments/recount/", views.segment_recount, name="segment_recount"),
    path("customers/segments/<int:segment_id>/", views.segment_edit, name="segment"),
    path(
        "customers/segments/<int:segment_id>/delete/", views.segment_delete, name="segment_delete"
    ),
    path("customers/<str:customer_id>/", views.customer_detail, name="detail"),
]
