"""A slide deck opened from disk with no network: reveal.js runs and the formulas render.

Builds notebook 02's deck (``helpers.slides.build``, offline by default: reveal.js and MathJax
copied from ``web/node_modules`` next to it), opens it as a ``file://`` page in headless
Chromium with every network request refused, and checks what a teacher on a projector
laptop without network would see: reveal.js laid out the slides, and MathJax turned the
formulas into SVG without an error. Needs Chromium (.ci/install.d/10-browser.sh) and the
npm packages (.ci/install.d/30-web.sh); on CI a missing one fails the test.
"""

from __future__ import annotations

import os
import time

import pytest
from test_pad_browser import chromium, wait_for

from helpers import slides

ON_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def need_web_packages():
    missing = [n for n in slides.VENDOR if not (slides.WEB / "node_modules" / n).is_dir()]
    if missing:
        reason = f"npm packages {missing} missing: run `npm ci --prefix web`"
        if ON_CI:
            pytest.fail(reason)
        pytest.skip(reason)


RENDERED = """(() => {
  const math = [...document.querySelectorAll('mjx-container')];
  const raw = [...document.querySelectorAll('.reveal .slides section')]
    .some(s => /\\$\\\\ln|\\\\frac/.test(s.textContent));
  return {reveal: document.querySelector('.reveal.ready') !== null,
          slides: document.querySelectorAll('.reveal .slides section').length,
          math: math.length,
          svg: math.filter(m => m.querySelector('svg')).length,
          errors: document.querySelectorAll('mjx-merror, [data-mjx-error]').length,
          raw,
          remote: [...document.querySelectorAll('script[src], link[rel=stylesheet]')]
            .map(e => e.src || e.href).filter(u => !u.startsWith('file:'))};
})()"""


def test_a_deck_opened_offline_shows_slides_and_rendered_formulas(tmp_path):
    need_web_packages()
    notebook = next(p for p in slides.notebooks() if p.name.startswith("02_"))
    (deck,) = slides.build(tmp_path / "decks", [notebook])
    with chromium(tmp_path, offline=True) as tools:
        tools.call("Page.enable")
        tools.call("Page.navigate", url=deck.as_uri())
        state = wait_for(
            "reveal.js and MathJax on the offline deck",
            lambda: (s := tools.js(RENDERED))["reveal"] and s["math"] > 0 and s,
            timeout=60,
            describe=lambda: tools.js(RENDERED),
        )
        # MathJax typesets every slide at load; give it the time to finish the last ones
        state = wait_for("MathJax to finish", lambda: (s := tools.js(RENDERED))["svg"] == s["math"] and s, timeout=30)  # fmt: skip
        if os.environ.get("SLIDES_SCREENSHOT"):  # a folder: look at a formula slide
            import base64
            from pathlib import Path

            # go to the first slide with a displayed formula (reveal.js reads the URL's hash)
            tools.js(
                "(() => { const top = [...document.querySelectorAll('.reveal .slides > section')];"
                " for (let h = 0; h < top.length; h++) {"
                "  const subs = [...top[h].querySelectorAll(':scope > section')];"
                "  const all = subs.length ? subs : [top[h]];"
                "  for (let v = 0; v < all.length; v++) if (all[v].querySelector('mjx-container[display]'))"
                "   { location.hash = '#/' + h + '/' + v; return [h, v]; } } })()"
            )
            time.sleep(2)
            folder = Path(os.environ["SLIDES_SCREENSHOT"])
            folder.mkdir(parents=True, exist_ok=True)
            shot = tools.call("Page.captureScreenshot", format="png")["data"]
            (folder / "deck_02.png").write_bytes(base64.b64decode(shot))
    assert state["remote"] == [], (
        f"the deck loads scripts or styles from the network: {state['remote']}"
    )
    assert state["slides"] > 5, state
    assert state["math"] > 10 and state["svg"] == state["math"], state
    assert state["errors"] == 0, f"MathJax reported {state['errors']} formula errors"
    assert not state["raw"], "raw TeX ($\\ln ..., \\frac) left on a slide"
