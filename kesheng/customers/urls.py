from django.urls import path

from kesheng.customers import views

app_name = "customers"

urlpatterns = [
    path("customers/", views.customer_list, name="list"),
    path("customers/<str:customer_id>/", views.customer_detail, name="detail"),
]
