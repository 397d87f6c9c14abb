"""Streamlit's own English, translated or hidden: the file uploader's texts and the inputs' key hints.

Streamlit draws some texts itself ("Drag and drop file here", "Limit 200MB per file", "Browse files",
"Press Enter to submit form", "Press Enter to apply", the keyboard users' "Skip to main content"). They cannot be set through the API, so one style
sheet per language hides them and shows ours (CSS ``content``). The app menu (Print, Record screen, "Made
with Streamlit") is switched off by ``client.toolbarMode = "minimal"`` in .streamlit/config.toml, and
multiselects pass ``select_all=False`` (their "Select all" row would tick 都没有用过 with every channel).
"""

from __future__ import annotations

import streamlit as st

from ui.i18n import t

_CSS = """<style>
[data-testid='stFileUploaderDropzoneInstructions'] > div > span {{display: none}}
[data-testid='stFileUploaderDropzoneInstructions'] > div::before {{content: '{drop}'; display: block}}
[data-testid='stFileUploaderDropzoneInstructions'] > div > small {{display: none}}
[data-testid='stFileUploaderDropzoneInstructions'] > div::after {{content: '{limit}'; display: block;
  font-size: 0.8em; opacity: 0.7}}
[data-testid='stFileUploaderDropzone'] button [data-testid='stMarkdownContainer'] p {{display: none}}
[data-testid='stFileUploaderDropzone'] button [data-testid='stMarkdownContainer']::after {{content: '{browse}'}}
[data-testid='InputInstructions'] {{display: none}}
[data-testid='stSkipToContent'] {{font-size: 0}}
[data-testid='stSkipToContent']::after {{content: '{skip}'; font-size: 1rem}}
</style>"""


def localise_framework(max_upload_mb: int | None = None) -> None:
    """Inject the style sheet that replaces Streamlit's built-in English with the UI language."""
    limit = t("fw_upload_limit", mb=max_upload_mb or int(st.get_option("server.maxUploadSize")))
    st.html(
        _CSS.format(
            drop=_css(t("fw_upload_drop")),
            limit=_css(limit),
            browse=_css(t("fw_upload_browse")),
            skip=_css(t("fw_skip_to_content")),
        )
    )


def _css(text: str) -> str:
    """A string safe inside a single-quoted CSS ``content`` value."""
    return text.replace("\\", "\\\\").replace("'", "\\'").replace("\n", " ").replace("<", "").replace(">", "")
