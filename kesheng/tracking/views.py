"""Staff pages for tracking: the touchpoint map."""

from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from kesheng.tracking.queries import get_touchpoint_overview


@login_required
@permission_required("tracking.view_touchpoint", raise_exception=True)
def touchpoint_map(request: HttpRequest) -> HttpResponse:
    return render(request, "tracking/touchpoint_map.html", {"overview": get_touchpoint_overview()})
