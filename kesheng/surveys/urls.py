"""Staff survey pages, included at ``surveys/``."""

from django.urls import path

from kesheng.surveys import views

app_name = "surveys"

urlpatterns = [
    path("", views.survey_list, name="list"),
    path("new/", views.survey_new, name="new"),
    path("import/", views.survey_import, name="import"),
    path("<int:survey_id>/", views.survey_editor, name="editor"),
    path("<int:survey_id>/settings/", views.survey_settings, name="settings"),
    path("<int:survey_id>/status/", views.survey_status, name="status"),
    path("<int:survey_id>/json/", views.definition_json, name="json"),
    path("<int:survey_id>/preview/", views.survey_preview, name="preview"),
    path("<int:survey_id>/pages/add/", views.page_add, name="page_add"),
    path("<int:survey_id>/pages/<str:page_name>/", views.page_edit, name="page_edit"),
    path("<int:survey_id>/pages/<str:page_name>/move/", views.page_move, name="page_move"),
    path("<int:survey_id>/pages/<str:page_name>/delete/", views.page_delete, name="page_delete"),
    path(
        "<int:survey_id>/pages/<str:page_name>/questions/add/",
        views.question_add,
        name="question_add",
    ),
    path("<int:survey_id>/questions/<str:name>/", views.question_edit, name="question_edit"),
    path("<int:survey_id>/questions/<str:name>/move/", views.question_move, name="question_move"),
    path(
        "<int:survey_id>/questions/<str:name>/delete/",
        views.question_delete,
        name="question_delete",
    ),
    path("<int:survey_id>/results/", views.survey_results, name="results"),
    path("<int:survey_id>/responses/", views.response_list, name="responses"),
    path(
        "<int:survey_id>/responses/<int:response_id>/",
        views.response_detail,
        name="response_detail",
    ),
    path("<int:survey_id>/export/<str:format>/", views.survey_export, name="export"),
    path("<int:survey_id>/distributions/", views.survey_distributions, name="distributions"),
    path("<int:survey_id>/distributions/add/", views.distribution_add, name="distribution_add"),
    path("<int:survey_id>/distributions/qr/", views.qr_codes_add, name="qr_add"),
    path("<int:survey_id>/distributions/qr/print/", views.qr_print, name="qr_print"),
    path("<int:survey_id>/distributions/invite/", views.invitations_send, name="invite"),
    path(
        "<int:survey_id>/distributions/personal/",
        views.personal_links_create,
        name="personal_links",
    ),
    path(
        "<int:survey_id>/distributions/<int:distribution_id>/links.<str:format>",
        views.personal_links_download,
        name="personal_links_download",
    ),
    path(
        "<int:survey_id>/distributions/<int:distribution_id>/",
        views.distribution_detail,
        name="distribution",
    ),
    path(
        "<int:survey_id>/distributions/<int:distribution_id>/send/",
        views.distribution_send,
        name="distribution_send",
    ),
    path(
        "<int:survey_id>/distributions/<int:distribution_id>/qr.<str:format>",
        views.distribution_qr,
        name="distribution_qr",
    ),
]
