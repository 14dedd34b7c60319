"""The portal's URLs plus a page with a progress bar and its status URL, for test_progress.py:
the status advances one step per poll, so the test sees the bar move and finish."""

from django.http import HttpResponse, JsonResponse
from django.template import engines
from django.urls import path

from ietsportal.urls import urlpatterns as portal_urlpatterns

polls = {"count": 0, "total": 3, "fail": False}


def status(request):
    polls["count"] += 1
    done = min(polls["count"], polls["total"])
    if polls["fail"] and done == 2:
        return JsonResponse({"state": "failed", "done": done, "total": 3, "message": "出错了"})
    state = "done" if done == polls["total"] else "running"
    return JsonResponse(
        {
            "state": state,
            "done": done,
            "total": polls["total"],
            "message": f"{done} / {polls['total']}",
            "url": "/result/" if state == "done" else None,
        }
    )


PAGE = (
    '{% extends "base.html" %}{% block content %}<h1>Export</h1>'
    '{% include "components/progress.html" with id="export-1" status_url="/status/"'
    ' label="Export" interval=150 %}{% endblock %}'
)


def page(request):
    return HttpResponse(engines["django"].from_string(PAGE).render({}, request))


urlpatterns = [
    path("status/", status),
    path("progress-page/", page),
    *portal_urlpatterns,
]
