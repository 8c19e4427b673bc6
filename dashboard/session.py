"""Who is looking: sign-in in the sidebar, the session's role, and audit entries (Streamlit).

Visitors start in the public role (unless ``SAFER_DASHBOARD_PUBLIC=false``); signing in with
an account from ``safer accounts`` gives its role for the rest of the browser session.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import streamlit as st

from dashboard.access import AccountError, Accounts, AuditLog
from dashboard.disclosure import Role
from safer.settings import Settings

USER_STATE = "signed_in"
VIEWED_STATE = "last_view"
ANONYMOUS = "anonymous"


@dataclass(frozen=True, slots=True)
class Viewer:
    name: str
    role: Role

    @property
    def signed_in(self) -> bool:
        return self.name != ANONYMOUS


def viewer(settings: Settings) -> Viewer | None:
    """The session's viewer after the sidebar sign-in box; None when nobody is signed in and
    the public view is switched off (the page then shows only the sign-in box)."""
    audit = AuditLog(settings.audit_path)
    current: Viewer | None = st.session_state.get(USER_STATE)
    with st.sidebar:
        if current is not None:
            st.markdown(f"Signed in as **{current.name}** ({current.role.value})")
            if st.button("Sign out"):
                audit.write(current.name, current.role, "sign-out")
                del st.session_state[USER_STATE]
                st.session_state.pop(VIEWED_STATE, None)
                st.rerun()
            return current
        with st.form("sign-in", clear_on_submit=True):
            st.markdown("**Sign in** (analysts and partners)")
            name = st.text_input("Account name", autocomplete="username")
            password = st.text_input("Password", type="password", autocomplete="current-password")
            submitted = st.form_submit_button("Sign in")
        if submitted:
            try:
                account = Accounts(settings.accounts_path).sign_in(name, password)
            except AccountError as exc:
                st.error(f"Sign-in is unavailable: {exc}")
                account = None
            else:
                if account is None:
                    st.error("Unknown account name or wrong password.")
            if account is not None:
                signed = Viewer(account.name, account.role)
                st.session_state[USER_STATE] = signed
                st.session_state.pop(VIEWED_STATE, None)
                audit.write(signed.name, signed.role, "sign-in")
                st.rerun()
    if not settings.dashboard_public:
        return None
    return Viewer(ANONYMOUS, Role.PUBLIC)


def record_view(settings: Settings, who: Viewer, page: str, filters: dict[str, Any]) -> None:
    """One audit entry per view: when the page or its filters change (not on every refresh)."""
    view = (who.name, who.role.value, page, tuple(sorted((k, str(v)) for k, v in filters.items())))
    if st.session_state.get(VIEWED_STATE) == view:
        return
    st.session_state[VIEWED_STATE] = view
    AuditLog(settings.audit_path).write(who.name, who.role, "view", page=page, filters=filters)
