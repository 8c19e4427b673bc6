"""The dashboard's server: Streamlit's ASGI ``st.App`` serving ``dashboard/app.py`` with the
sign-in routes beside it (``dashboard.session_routes``).

``safer up`` runs ``streamlit run dashboard/serve.py``: Streamlit finds ``app`` here and
serves it with uvicorn, with every ``--server.*`` option as for a plain script. Settings are
read once, when the server starts.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from dashboard.session_routes import session_routes
from dashboard.signin import SignIn
from safer.settings import load_settings

SCRIPT = Path(__file__).with_name("app.py")

app = st.App(
    SCRIPT,
    routes=session_routes(
        SignIn.of(load_settings()).sessions, str(st.get_option("server.baseUrlPath") or "")
    ),
)
