"""Tripwire's Streamlit UI: ``streamlit run ui/app.py`` (or ``tripwire ui``).

It reads the worker's read API only (``TRIPWIRE_API_URL``, ``TRIPWIRE_API_TOKEN``); it never
opens the store. Pages link to each other with ``?entity=<name>``.
"""

from __future__ import annotations

import hmac
import os
import sys
from pathlib import Path

_ROOT = Path(__file__).resolve().parent.parent
if str(_ROOT) not in sys.path:  # `streamlit run ui/app.py` from a source checkout
    sys.path.insert(0, str(_ROOT))

import streamlit as st  # noqa: E402

from ui import _client  # noqa: E402

st.set_page_config(page_title="Tripwire", page_icon=":material/sensors:", layout="wide")

PAGES = [
    st.Page("views/overview.py", title="Overview", icon=":material/home:", default=True),
    st.Page("views/model.py", title="Model", icon=":material/monitoring:"),
    st.Page("views/llm_app.py", title="LLM app", icon=":material/forum:"),
    st.Page("views/alerts.py", title="Alerts & triggers", icon=":material/notifications_active:"),
    st.Page("views/report.py", title="Drift report", icon=":material/description:"),
]


def sidebar() -> None:
    with st.sidebar:
        st.markdown("### :material/sensors: Tripwire")
        try:
            health = _client.get("health")
            state = ":green[●] up" if health.get("store") else ":orange[●] starting"
        except _client.ApiError:
            state = ":red[●] unreachable"
        st.caption(f"Read API {state}  \n`{_client.api_base()}`")
        st.toggle("Auto-refresh (15 s)", value=True, key="auto_refresh",
                  help="Overview and Alerts re-read the API every 15 seconds.")
        if st.button("Refresh now", icon=":material/refresh:"):
            _client.clear_cache()
            st.rerun()
        st.caption("All times are UTC event time.")


def require_token() -> None:
    """When the UI is served beyond loopback (``TRIPWIRE_UI_PUBLIC=1``, set by ``tripwire up`` /
    ``tripwire ui``), a visitor must enter the API token before any data is shown."""
    token = os.environ.get("TRIPWIRE_API_TOKEN", "")
    if os.environ.get("TRIPWIRE_UI_PUBLIC") != "1" or st.session_state.get("authenticated"):
        return
    st.title("Tripwire", anchor=False)
    entered = st.text_input("Access token", type="password",
                            help="The worker's api_token (TRIPWIRE_API_TOKEN).")
    if entered and token and hmac.compare_digest(entered.encode(), token.encode()):
        st.session_state["authenticated"] = True
        st.rerun()
    if entered:
        st.error("Wrong token.")
    st.stop()


require_token()
nav = st.navigation(PAGES)
sidebar()
nav.run()
