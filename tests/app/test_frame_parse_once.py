"""Frame page: an upload is parsed once, not on every rerun (issue 11, item 8: a 200 MB CSV peaked at 2 GB
on every rerun); a hostile file gets the refusal message, in Chinese and English."""

from __future__ import annotations

from sampling import frame_read
from survey.users import User

CSV = "户号,户名,供电单位,用户类别\nN1,张三,福州,居民\nN2,李四,厦门,一般工商业\n".encode()


def _frame_page(store_app):
    at = store_app(User("staff", "staff"))
    at.switch_page("app_pages/frame.py").run()
    assert not at.exception
    return at


def _counting(monkeypatch) -> list[int]:
    calls = []
    real = frame_read._read_csv

    def counted(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(frame_read, "_read_csv", counted)
    return calls


def test_reruns_do_not_parse_the_upload_again(store_app, monkeypatch):
    at = _frame_page(store_app)
    parses = _counting(monkeypatch)
    at.file_uploader(key="frame_file").upload("new.csv", CSV, "text/csv").run()
    assert not at.exception
    first = len(parses)
    assert 1 <= first <= 2  # the preview and the validation (each once)
    assert any("2" in str(s.value) for s in at.success)
    for _ in range(3):
        at.run()  # any widget change reruns the page
    assert not at.exception and len(parses) == first
    at.selectbox(key="frame_encoding").set_value("gb18030").run()  # another reading of the file: parsed again
    assert len(parses) > first


def test_hostile_upload_is_refused_with_the_limit(store_app):
    at = _frame_page(store_app)
    at.file_uploader(key="frame_file").upload("wide.csv", b"a," * 300_000 + b"\n", "text/csv").run()
    assert not at.exception
    shown = " ".join(str(e.value) for e in at.error) + " ".join(
        str(cell) for frame in [*at.dataframe, *at.table] for cell in frame.value.to_numpy().ravel()
    )
    assert "列数过多" in shown and "上限 200 列" in shown
