"""The Chinese UI has no framework English (issue 12, item 4): every page, walked in a real browser in zh,
shows no Latin-script word outside an allow-list of names, units and method names; the uploader, the form
hints, the multiselect's "Select all" and the app menu are translated or gone."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_staff_and_manager import _sign_in

pytestmark = pytest.mark.e2e

#: Latin words a Chinese page may show: method and unit names, formats, ids, account names of the demo.
ALLOWED = {
    "AAPOR", "ACSI", "CI", "COOP", "CON", "CSV", "Cochran", "Cramér", "Dunn", "English", "Excel", "F", "Fornell",
    "H", "Holm", "Benjamini", "Hochberg", "ID", "Kish", "Kruskal", "Wallis", "Lohr", "MB", "Neyman", "PRN", "RR",
    "REF", "Rao", "Scott", "SE", "SMS", "V", "XLSForm", "YAML", "df", "e", "n", "p", "r", "xlsx", "yaml", "csv",
    "admin", "manager", "staff", "N", "h", "a", "b", "c", "d", "t", "z", "R", "survey", "sha", "v", "vs",
    "Korn", "Graubard", "Clopper", "Pearson", "logit", "Bankier", "Tillé", "Ohlsson", "Lumley", "et", "al",
    "GBK", "UTF", "GB", "txt", "KPI", "K", "yyyy", "mm", "dd", "Language",
    # data, not UI: the region list's English names and the default questionnaire's id (psc-satisfaction)
    "Fuzhou", "Xiamen", "Putian", "Sanming", "Quanzhou", "Zhangzhou", "Nanping", "Longyan", "Ningde", "psc",
    "satisfaction", "SHA", "ε", "I", "P", "NC", "O", "UH", "UO", "NE", "x", "y", "k", "m", "q", "s",
}  # fmt: skip
#: The app's text as a user reads it: icons (ligature names such as "upload_file") and code spans (a CLI command
#: named on an admin page) left out; CSS ``::before``/``::after`` content (our translations) included.
VISIBLE_TEXT = """() => {
  const hidden = sel => { const e = document.querySelector(sel); return e && getComputedStyle(e).display === 'none'; };
  const skipHidden = (() => { const e = document.querySelector("[data-testid='stSkipToContent']");
                              return e && getComputedStyle(e).fontSize === '0px'; })();
  const app = document.querySelector("[data-testid='stApp']").cloneNode(true);
  app.querySelectorAll("[data-testid='stIconMaterial'], code, style, script").forEach(e => e.remove());
  // table cells are data (names, ids, audit details as stored), not UI text; the column headers stay
  app.querySelectorAll("[data-testid='stDataFrame'] td, [data-testid='stDataFrame'] [role='gridcell']")
    .forEach(e => e.remove());
  if (skipHidden) app.querySelectorAll("[data-testid='stSkipToContent']").forEach(e => e.remove());
  if (hidden("[data-testid='stFileUploaderDropzone'] button p"))
    app.querySelectorAll("[data-testid='stFileUploaderDropzone'] button p").forEach(e => e.remove());
  if (hidden("[data-testid='stFileUploaderDropzoneInstructions'] span"))
    app.querySelectorAll("[data-testid='stFileUploaderDropzoneInstructions'] span").forEach(e => e.remove());
  return app.innerText;
}"""
#: What the CSS shows instead (our translations), read from the computed ::before / ::after content.
UPLOADER_TEXT = """() => {
  const content = (sel, pseudo) => getComputedStyle(document.querySelector(sel), pseudo).content;
  return [content("[data-testid='stFileUploaderDropzone'] button [data-testid='stMarkdownContainer']", '::after'),
          content("[data-testid='stFileUploaderDropzoneInstructions'] > div", '::before'),
          content("[data-testid='stSkipToContent']", '::after')];
}"""
WORD = re.compile(r"[A-Za-z][A-Za-z]+|[A-Za-z]")


def _latin_words(text: str) -> set[str]:
    text = re.sub(r"https?://\S+|[\w.+-]+@[\w.-]+|\b\w*\d\w*\b|#\d+ · [^\n]*", " ", text)
    return {w for w in WORD.findall(text) if w not in ALLOWED}


def test_every_page_in_chinese_shows_no_framework_english(page: Page, app_server, demo_credentials):
    _sign_in(page, app_server["url"], "admin", demo_credentials["admin"])
    nav = page.locator("[data-testid='stSidebarNav'] a")
    expect(nav.first).to_be_visible()
    found: dict[str, set[str]] = {}
    for i in range(nav.count()):
        nav.nth(i).click()
        page.wait_for_timeout(1500)
        expect(page.locator("[data-testid='stStatusWidget']")).to_have_count(0)
        title = nav.nth(i).inner_text().strip()
        words = _latin_words(page.evaluate(VISIBLE_TEXT))
        if page.locator("[data-testid='stFileUploaderDropzone']").count():
            uploader = page.evaluate(UPLOADER_TEXT)
            assert uploader == ['"选择文件"', '"把文件拖到这里"', '"跳到正文"'], uploader
        if words:
            found[title] = words
    assert not found, f"Latin-script words on Chinese pages: {found}"
    # the app menu offers no Print / Record screen / "Made with Streamlit"
    assert page.locator("[data-testid='stMainMenu']").count() == 0


def test_multiselects_offer_no_select_all(page: Page, app_server, demo_credentials):
    """A "Select all" row would tick 都没有用过 together with every channel on the customer form."""
    _sign_in(page, app_server["url"], "admin", demo_credentials["admin"])
    page.locator("[data-testid='stSidebarNav'] a").filter(has_text="用户管理").click()
    box = page.locator(".st-key-new_user_region [role='combobox']").first
    expect(box).to_be_visible()
    expect(page.locator("[data-testid='stStatusWidget']")).to_have_count(0)
    for _ in range(5):
        box.click()
        if page.get_by_role("option").count():
            break
        page.wait_for_timeout(1000)
    options = page.get_by_role("option").all_inner_texts()
    assert "福州" in options, options
    assert not [o for o in options if "Select all" in o or "全选" in o], options
