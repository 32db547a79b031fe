from django.urls import path

from kesheng.cases import views, views_kpis

app_name = "cases"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("new/", views.new_case, name="new"),
    path("<int:case_id>/", views.case_detail, name="detail"),
    path("<int:case_id>/assign/", views.assign, name="assign"),
    path("<int:case_id>/status/", views.change_status, name="status"),
    path("<int:case_id>/urgency/", views.change_urgency, name="urgency"),
    path("<int:case_id>/note/", views.add_note, name="note"),
    path("<int:case_id>/reply/", views.reply, name="reply"),
    path("kpis/", views_kpis.kpis, name="kpis"),
    path("scorecards/", views_kpis.scorecards, name="scorecards"),
]
