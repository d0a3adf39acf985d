"""How failures are shown: a box on the page, a row in the report, one clear sentence."""

from __future__ import annotations

import pytest
from buildutil import build, copy_project, warnings, write_later

from sphinx_nbcache.engine.ansi import clean_controls
from sphinx_nbcache.sphinxext.rendering.ansi import ansi_to_html, strip_ansi


@pytest.fixture
def project(rootdir, tmp_path, monkeypatch):
    return copy_project(rootdir, "reliability-errors", tmp_path, monkeypatch)


@pytest.fixture
def built(make_app, project):
    return project, build(make_app, project.src)


def _boxes(project, name):
    boxes = project.page(name).select(".nbcache-failure")
    return [" ".join(box.get_text(" ").split()) for box in boxes]


def test_timeout_box_at_the_failing_cell(built):
    project, _ = built
    (box,) = _boxes(project, "slow")
    assert "This notebook was not executed completely: cell 4: the cell timed out after 1 s" in box
    # at the cell that timed out: after its code, before the next cell's
    page = project.page("slow")
    div = page.select_one(".nbcache-failure")
    before = div.find_previous(class_="nbcache-cell-code")
    assert "time.sleep(60)" in before.get_text()
    assert "print('never')" in div.find_next(class_="nbcache-cell-code").get_text()
    assert "before the wait" in project.text("slow")


def test_missing_kernel_and_unreadable_boxes_at_the_top(built):
    project, _ = built
    (box,) = _boxes(project, "nokernel")
    assert "This notebook was not executed: kernel 'nosuch' is not installed" in box
    # under the title, before the first cell
    page = project.page("nokernel")
    assert page.select_one(".nbcache-failure").find_previous("h1") is not None
    assert page.select_one(".nbcache-failure").find_previous(class_="nbcache-cell") is None
    (box,) = _boxes(project, "unreadable")
    assert box.startswith("Error This notebook could not be read:")
    assert "This notebook could not be read: invalid JSON at line 4" in box
    assert str(project.src) not in box


def test_no_box_where_the_traceback_is_shown(built):
    project, _ = built
    assert _boxes(project, "ask") == [] and _boxes(project, "control") == []
    assert "StdinNotImplementedError" in project.text("ask")


def test_unreadable_notebooks_in_the_report_with_a_line(make_app, built):
    project, app = built
    row = project.report()["unreadable"]
    assert row["status"] == "failed"
    assert row["source"] == "unreadable.ipynb"
    assert "invalid JSON at line 4" in row["error"]
    found = [w for w in warnings(app) if "unreadable.ipynb" in w]
    assert len(found) == 1, found
    (warning,) = found
    # located at the line the JSON error names
    assert "unreadable.ipynb:4: WARNING:" in warning, warning
    # still in the report when the next build does not read it again
    write_later(project.src / "slow.ipynb", (project.src / "slow.ipynb").read_text())
    project.executed()
    app = build(make_app, project.src)
    assert project.report()["unreadable"]["status"] == "failed"
    # a remembered failure, read again, keeps its box
    assert project.executed() == []
    assert "remembered" in " ".join(w for w in warnings(app) if "slow.ipynb" in w)
    (box,) = _boxes(project, "slow")
    assert "cell 4: the cell timed out after 1 s" in box


def test_timeout_warning_is_one_sentence(built):
    _, app = built
    (warning,) = [w for w in app.warning.getvalue().splitlines() if "timed out" in w]
    assert "cell 4: the cell timed out after 1 s; raise nbcache_timeout" in warning
    assert '"timeout" under "nbcache" in the notebook metadata' in warning
    text = app.warning.getvalue()
    assert text.count("timed out") == 1, text
    assert "A cell timed out while it was being executed" not in text


def test_input_traceback_ends_in_the_users_code(built):
    project, app = built
    text = app.warning.getvalue()
    start = text.index("ask.ipynb")
    warning = text[start : text.find("WARNING", start + 40)]
    assert "cell 3: input() is not available when a notebook executes in a build" in warning
    assert "ipykernel" not in warning and "kernelbase" not in warning
    assert "input('name? ')" in warning  # the user's frame
    # the page's traceback too
    output = project.page("ask").select(".nbcache-cell-output")[-1]
    shown = output.get_text()
    assert "kernelbase" not in shown and "ipykernel" not in shown
    assert "input('name? ')" in shown and "StdinNotImplementedError" in shown


def test_control_characters_never_reach_the_page(built):
    project, _ = built
    html = (project.html / "control.html").read_text("utf-8")
    for char in ("\x07", "\x08", "\x00", "\x0b", "\x0c", "\x01", "\x1b", "&#27;", "&#7;"):
        assert char not in html, repr(char)
    outputs = project.page("control").select(".nbcache-cell-output")
    page = " ".join(" ".join(o.get_text(" ").split()) for o in outputs)
    assert "my title" not in page and "t2" not in page
    assert "bell back nul vt ff title end" in page
    assert "red and done" in page
    assert "100%" in page and "50%" not in page
    # colours still work
    red = project.page("control").select_one(".ansi-red-fg")
    assert red is not None and red.get_text() == "red"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a\x07b\x00c\x7f", "abc"),
        ("x\x1b]0;title\x07y", "xy"),
        ("x\x1b]8;;http://example.org\x1b\\link\x1b]8;;\x1b\\y", "xlinky"),
        ("\x1b[31mred\x1b[0m", "\x1b[31mred\x1b[0m"),
        ("10%\r50%\r100%\nnext\r\n", "100%\nnext\n"),
        ("tab\tkept\n", "tab\tkept\n"),
    ],
)
def test_clean_controls(text, expected):
    assert clean_controls(text) == expected


def test_ansi_to_html_and_strip_drop_controls():
    assert ansi_to_html("\x1b[1mb\x07\x1b]0;t\x07\x1b[0m") == '<span class="ansi-bold">b</span>'
    assert strip_ansi("a\x08\x1b[31mb\x1b]2;x\x1b\\") == "ab"


def test_dead_kernel_box_at_the_cell(built):
    project, _ = built
    (box,) = _boxes(project, "dies")
    assert "This notebook was not executed completely: cell 3: the kernel died" in box
    div = project.page("dies").select_one(".nbcache-failure")
    assert "os._exit(1)" in div.find_previous(class_="nbcache-cell-code").get_text()


def test_timeout_message_names_a_limit_set_elsewhere():
    from nbclient.exceptions import CellTimeoutError

    from sphinx_nbcache.engine.executor import _to_error

    text = "A cell timed out while it was being executed, after 7 seconds.\nThe message was: x"
    error = _to_error(CellTimeoutError(text), 2, "python3", None)
    assert str(error).startswith("cell 3: the cell timed out after 7 s; raise nbcache_timeout")
    assert "A cell timed out" not in str(error) and not error.traceback
