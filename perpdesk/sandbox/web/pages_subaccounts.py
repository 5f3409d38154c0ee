"""Sub-Accounts: a main account creates sub-accounts (email + password) and sees their futures
balances; transfers between them go through BitMart's sub-account endpoints."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from perpdesk.sandbox.web.backend import UserView
from perpdesk.sandbox.web.common import WebState, form_data, redirect, render, signed_in
from perpdesk.sandbox.web.input_errors import InputError
from perpdesk.sandbox.web.pages_auth import ENROLMENT_KIND
from perpdesk.sandbox.web.sessions import BrowserSession

MAX_SUB_ACCOUNTS = 20


def routes(state: WebState) -> list[BaseRoute]:
    @signed_in(state)
    async def sub_accounts(request: Request, session: BrowserSession, user: UserView) -> Response:
        errors: dict[str, str] = {}
        form: dict[str, str] = {}
        subs = state.backend.sub_accounts(user.uid)
        if request.method == "POST":
            form = await form_data(request)
            if not state.sessions.csrf_ok(session, form.get("csrf_token")):
                return redirect(state, "/sub-accounts", session)
            if user.parent_uid:
                errors["email"] = "Email: a sub-account has no sub-accounts. Sign in to the main account."
            elif len(subs) >= MAX_SUB_ACCOUNTS:
                errors["email"] = f"Email: at most {MAX_SUB_ACCOUNTS} sub-accounts per main account."
            else:
                try:
                    sub = await state.backend.create_sub_account(
                        user.uid, form.get("email", ""), form.get("password", "")
                    )
                except InputError as exc:
                    name = "email" if exc.field == "Email" else "password"
                    errors[name] = f"{exc.message}. {exc.next_step}"
                else:
                    # its first sign-in enrols its own authenticator, as after Sign Up
                    state.enrolment_pending.add(sub.uid)
                    state.ctx.persist.put(ENROLMENT_KIND, sub.uid, {})
                    await state.ctx.persist.flush()
                    return redirect(state, "/sub-accounts?done=created", session)
        return render(
            state,
            request,
            "sub_accounts.html",
            session=session,
            user=user,
            subs=subs,
            errors=errors,
            form={"email": form.get("email", "")},
            notice=request.query_params.get("done", ""),
            status_code=400 if errors else 200,
        )

    return [Route("/sub-accounts", sub_accounts, methods=["GET", "POST"])]
