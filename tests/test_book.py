"""The book (``python -m helpers.book``): built offline, a page per notebook, no broken links,
math rendered and figures loaded in a real browser.

The build runs in a subprocess in which every socket connection is refused, so a package
that fetched a theme, a template or MathJax from the internet would fail it. The pages are
then checked as files (links, alt text, download links) and one page is opened from disk in
headless Chromium with the network refused (tests/test_pad_browser.py's DevTools driver).
"""

from __future__ import annotations

import html.parser
import json
import os
import subprocess
import sys
import urllib.parse
from pathlib import Path

import pytest
from test_pad_browser import chromium, wait_for

from helpers import book, config, slides

ON_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
NOTEBOOKS = sorted(config.NOTEBOOKS_DIR.glob("[0-9][0-9]_*.ipynb"))

#: Run before the build: every connection (and name lookup) fails, loudly.
NO_NETWORK = """
import socket

def refuse(*args, **kwargs):
    raise OSError("network refused by tests/test_book.py: the book must build offline")

socket.socket.connect = refuse
socket.socket.connect_ex = refuse
socket.create_connection = refuse
socket.getaddrinfo = refuse
"""


def need_mathjax():
    if not (slides.WEB / "node_modules" / "mathjax-full").is_dir():
        reason = "npm packages missing: run `npm ci --prefix web` (.ci/install.d/30-web.sh)"
        if ON_CI:
            pytest.fail(reason)
        pytest.skip(reason)


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    need_mathjax()
    out = tmp_path_factory.mktemp("book") / "site"
    code = NO_NETWORK + f"import sys\nfrom helpers import book\nsys.exit(book.main([{str(out)!r}]))"
    done = subprocess.run([sys.executable, "-c", code], cwd=config.ROOT, capture_output=True,
                          text=True, timeout=600)  # fmt: skip
    assert done.returncode == 0, f"the book did not build offline:\n{done.stdout}\n{done.stderr}"
    return out


class Page(html.parser.HTMLParser):
    """The links, images, ids and external resources of one HTML page."""

    def __init__(self):
        super().__init__()
        self.links, self.images, self.ids, self.remote, self.anchors = [], [], set(), [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
            self.anchors.append(attrs)
        if tag == "img":
            self.images.append(attrs)
            self.links.append(attrs.get("src", ""))
        if tag == "script" and attrs.get("src"):
            self.links.append(attrs["src"])
            if urllib.parse.urlparse(attrs["src"]).scheme:
                self.remote.append(attrs["src"])
        if tag == "link" and attrs.get("href"):
            self.links.append(attrs["href"])
            if attrs.get("rel") and "stylesheet" in attrs["rel"]:
                if urllib.parse.urlparse(attrs["href"]).scheme:
                    self.remote.append(attrs["href"])


def parse(path: Path) -> Page:
    page = Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def test_the_book_has_a_page_per_notebook_the_results_and_a_landing_page(site):
    assert json.loads((site / "book.json").read_text())["notebooks"] == [p.stem for p in NOTEBOOKS]
    for path in NOTEBOOKS:
        assert (site / "notebooks" / f"{path.stem}.html").is_file(), f"no page for {path.name}"
    index = (site / "index.html").read_text(encoding="utf-8")
    for path in NOTEBOOKS:  # the notebook map links every page
        assert f'href="notebooks/{path.stem}.html"' in index, f"landing page misses {path.name}"
    results = (site / "results.html").read_text(encoding="utf-8")
    assert "Every model under one protocol" in results and "<table" in results
    assert (site / "searchindex.js").is_file() and (site / "search.html").is_file()


def test_no_broken_internal_links_and_nothing_loaded_from_the_network(site):
    broken, remote = [], []
    # the pages (the theme ships Jinja macro files named .html under _static/: not pages)
    pages = sorted(p for p in site.rglob("*.html") if "_static" not in p.parts)
    parsed = {p: parse(p) for p in pages}
    for path, page in parsed.items():
        remote += [f"{path.relative_to(site)}: {r}" for r in page.remote]
        for link in page.links:
            url = urllib.parse.urlparse(link)
            if url.scheme or link.startswith(("mailto:", "javascript:")) or not link:
                continue
            target = (path.parent / urllib.parse.unquote(url.path)).resolve() if url.path else path
            if not target.exists():
                broken.append(f"{path.relative_to(site)} -> {link}")
            elif url.fragment and target.suffix == ".html" and target in parsed:
                if url.fragment not in parsed[target].ids:
                    broken.append(f"{path.relative_to(site)} -> {link} (no such anchor)")
    assert broken == [], f"{len(broken)} broken links, e.g.\n" + "\n".join(broken[:20])
    assert remote == [], "pages load scripts or styles from the network:\n" + "\n".join(remote)


def test_every_notebook_page_has_alt_texts_and_launch_and_download_links(site):
    for path in NOTEBOOKS:
        page_path = site / "notebooks" / f"{path.stem}.html"
        page = parse(page_path)
        missing = [i.get("src") for i in page.images if not (i.get("alt") or "").strip()]
        assert missing == [], f"{page_path.name}: figures without alt text: {missing[:5]}"
        classes = {a.get("class", ""): a["href"] for a in page.anchors}
        assert classes.get("book-colab", "").startswith("https://colab.research.google.com/")
        assert classes["book-colab"].endswith(f"/notebooks/{path.name}")
        download = (page_path.parent / classes["book-download"]).resolve()
        assert download.read_bytes() == path.read_bytes(), "the download is the notebook"
        student = json.loads((page_path.parent / classes["book-student"]).read_text())
        assert student["metadata"]["mnist_series"] == {"edition": "student"}


def test_a_page_opened_offline_renders_its_math_and_loads_its_figures(site, tmp_path):
    page = site / "notebooks" / f"{NOTEBOOKS[1].stem}.html"  # 02: formulas and figures
    state_js = """(() => {
      const math = [...document.querySelectorAll('mjx-container')];
      const imgs = [...document.querySelectorAll('main img')];
      return {math: math.length, svg: math.filter(m => m.querySelector('svg')).length,
              errors: document.querySelectorAll('mjx-merror, [data-mjx-error]').length,
              images: imgs.length,
              loaded: imgs.filter(i => i.complete && i.naturalWidth > 0).length,
              failed: imgs.filter(i => i.complete && i.naturalWidth === 0).map(i => i.src)};
    })()"""
    with chromium(tmp_path, offline=True) as tools:
        tools.call("Page.enable")
        tools.call("Page.navigate", url=page.as_uri())
        state = wait_for("MathJax and the figures of the page",
                         lambda: (s := tools.js(state_js))["math"] > 0 and s["svg"] == s["math"]
                         and s["loaded"] + len(s["failed"]) == s["images"] and s,
                         timeout=60, describe=lambda: tools.js(state_js))  # fmt: skip
        if os.environ.get("BOOK_SCREENSHOT"):  # a folder: look at the page
            import base64

            folder = Path(os.environ["BOOK_SCREENSHOT"])
            folder.mkdir(parents=True, exist_ok=True)
            tools.js("document.querySelector('mjx-container[display]').scrollIntoView()")
            shot = tools.call("Page.captureScreenshot", format="png")["data"]
            (folder / f"book_{page.stem}.png").write_bytes(base64.b64decode(shot))
        tools.call("Page.navigate", url=(site / "search.html").as_uri() + "?q=softmax")
        found = wait_for("search results for 'softmax'", lambda: tools.js(
            "document.querySelectorAll('#search-results li').length"), timeout=30)  # fmt: skip
    assert state["math"] > 10 and state["errors"] == 0, state
    assert state["images"] > 0 and state["failed"] == [], state
    assert found > 0


@pytest.mark.parametrize("bad", ["", "  "])
def test_book_refuses_an_empty_folder_name(bad):
    with pytest.raises(book.BookError, match="give a folder"):
        book.build(bad)


def test_book_refuses_a_file_and_the_repository(tmp_path):
    target = tmp_path / "notes.txt"
    target.write_text("mine")
    with pytest.raises(book.BookError, match="is a file"):
        book.build(target)
    assert target.read_text() == "mine"
    with pytest.raises(book.BookError, match="repository's own files"):
        book.build(config.NOTEBOOKS_DIR)
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "keep.md").write_text("mine")
    with pytest.raises(book.BookError, match="not empty"):
        book.build(tmp_path / "full")
    assert (tmp_path / "full" / "keep.md").read_text() == "mine"
