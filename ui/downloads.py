"""Downloads of personal data (names, phones, links): built only on an explicit action, held for one user.

A page builds the file when the user presses its "prepare" button, through a ``survey`` function that writes
the audit line at build time; :func:`keep` holds the file in session state (never a module or cache), so
nothing with personal data is rendered — or served at a ``/media/…`` URL — before that. :func:`offer` shows
the download button only to the account that built it (same name, role and scope); the file is dropped once
downloaded (:func:`drop`, the button's callback) and at sign-out (:func:`forget_all`, called by
``ui.session.sign_out``), after which Streamlit deletes the media file.
"""

from __future__ import annotations

import streamlit as st

from ui import session

#: Session-state keys of held files start with this.
PREFIX = "download:"


def _owner() -> tuple | None:
    user = session.user()
    return None if user is None else (user.name, user.role, user.region)


def keep(slot: str, *, data: bytes, file_name: str, mime: str, label: str) -> None:
    """Hold a just-built (and audited) file in ``slot`` for the signed-in user, replacing the slot's last one."""
    st.session_state[PREFIX + slot] = {
        "data": data, "file_name": file_name, "mime": mime, "label": label, "owner": _owner(),
    }  # fmt: skip


def held(slot: str) -> dict | None:
    """The file held in ``slot`` for the signed-in user (a file built by another account, or under another
    role or scope, is dropped)."""
    item = st.session_state.get(PREFIX + slot)
    if item is not None and item["owner"] != _owner():
        drop(slot)
        return None
    return item


def drop(slot: str) -> None:
    st.session_state.pop(PREFIX + slot, None)


def forget_all() -> None:
    """Drop every held file (sign-out)."""
    for key in [k for k in st.session_state if str(k).startswith(PREFIX)]:
        del st.session_state[key]


def offer(slot: str, *, key: str, **button) -> bool:
    """The download button of the file held in ``slot`` (nothing when none is held); the file is dropped
    when it is downloaded. Returns whether a button was shown."""
    item = held(slot)
    if item is None:
        return False
    st.download_button(
        item["label"], item["data"], file_name=item["file_name"], mime=item["mime"], key=key,
        on_click=drop, args=(slot,), **button,
    )  # fmt: skip
    return True
