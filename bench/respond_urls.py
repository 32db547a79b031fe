"""URLconf for bench/respond.py only: the product's URLs plus one bare view that inserts a row,
the framework's own limit to compare the respondent pages with. Not part of the product."""

from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt

BARE_TABLE = "bench_bare_row"


@csrf_exempt
def insert_one_row(request: HttpRequest) -> HttpResponse:
    """Through the same middleware as every page: one INSERT of a short text, nothing else."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {BARE_TABLE} (created_at, payload) VALUES (now(), %s)",
            [request.POST.get("payload", "")],
        )
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("bench/insert/", insert_one_row),
    path("", include("kesheng.urls")),
]
