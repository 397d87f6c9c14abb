"""Every UI string key used in the code exists, in both languages, exactly once."""

import re
from pathlib import Path

import pytest

from ui.i18n import STRINGS

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted([*ROOT.glob("app_pages/*.py"), *ROOT.glob("ui/*.py"), ROOT / "survey_app.py"])
KEY_USE = re.compile(r"""\bt\(\s*["']([a-z0-9_]+)["']\s*[,)]""")


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_used_keys_exist(path):
    used = set(KEY_USE.findall(path.read_text(encoding="utf-8")))
    missing = sorted(used - set(STRINGS))
    assert not missing, f"{path.name} uses UI strings with no translation: {missing}"


def test_every_string_has_chinese_and_english():
    for key, pair in STRINGS.items():
        assert isinstance(pair, tuple) and len(pair) == 2, key
        zh, en = pair
        assert zh.strip() and en.strip(), key
        assert re.search(r"[\u4e00-\u9fff]", zh) or key in {"language"}, f"{key}: Chinese text expected"


def test_page_titles_exist_for_every_registered_page():
    import ast

    tree = ast.parse((ROOT / "survey_app.py").read_text(encoding="utf-8"))
    pages = next(
        n.value for n in tree.body if isinstance(n, ast.Assign) and getattr(n.targets[0], "id", "") == "PAGES"
    )
    titles = {ast.literal_eval(v)[1] for v in pages.values}
    assert titles <= set(STRINGS)


#: Widgets whose empty state shows Streamlit's own English ("Choose options", "Choose an option") unless the
#: call passes its own ``placeholder``.
PLACEHOLDER_WIDGETS = {"multiselect"}


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_widgets_with_framework_placeholders_pass_a_translated_one(path):
    import ast

    missing = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr in PLACEHOLDER_WIDGETS
                and not any(k.arg == "placeholder" for k in node.keywords)):  # fmt: skip
            missing.append(f"line {node.lineno}: {node.func.attr}")
    assert not missing, f"{path.name}: these widgets would show Streamlit's English placeholder: {missing}"
