from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render

from ietsportal.errors import DomainError


def run_action(request, form, call, *, success: str, redirect_to, template, context):
    """Run one service call for a posted form. Bad input re-renders the page with the message
    inline and the error's status (400/403/409); nothing is stored."""
    if not form.is_valid():
        return render(request, template, {**context, "action_form": form}, status=400)
    try:
        call(form.cleaned_data)
    except DomainError as exc:
        if exc.status_code == 404:
            raise Http404() from None
        form.add_error(exc.field if exc.field in form.fields else None, str(exc.message))
        return render(request, template, {**context, "action_form": form}, status=exc.status_code)
    messages.success(request, success)
    return redirect(redirect_to)
