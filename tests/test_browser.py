"""The built smoke book, page by page, in a real browser (headless Chromium at 1,280 px).

For every HTML page: equations are typeset by MathJax (no raw TeX left in the text, the
navigation included), every image loads, no cell output is an error or a traceback, nothing
(tables, equations, outputs, figures) is wider than the text column unless it scrolls inside
its own box, and every local link points at an existing file and anchor.  A screenshot of
chapter 5 is kept in ``book/_build/screenshots/05_table1.png``.

Needs Debian's ``chromium`` and ``chromium-driver``: ``.ci/run`` installs them; the test
installs them itself with ``apt-get`` when it may, and is skipped only on a machine with
neither the browser nor ``apt-get``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from galbias.compendium import config

pytestmark = pytest.mark.book

WIDTH = 1280
SCREENSHOT = config.repo_root() / "book" / "_build" / "screenshots" / "05_table1.png"
BROWSERS = ("chromium", "chromium-browser", "google-chrome")
PACKAGES = ("chromium", "chromium-driver", "fonts-dejavu-core")


def _find_browser() -> tuple[str | None, str | None]:
    browser = next((shutil.which(b) for b in BROWSERS if shutil.which(b)), None)
    return browser, shutil.which("chromedriver")


def _install_with_apt() -> str:
    """Install the browser as .ci/run does; '' on success, else what went wrong."""
    sudo = [] if os.geteuid() == 0 else (["sudo", "-n"] if shutil.which("sudo") else None)
    if sudo is None:
        return "not root and no sudo"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for cmd in (["apt-get", "update", "-qq"],
                ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *PACKAGES]):
        res = subprocess.run(sudo + cmd, env=env, capture_output=True, text=True, timeout=900)
        if res.returncode:
            return f"`{' '.join(cmd)}` failed: {res.stderr.strip()[-500:]}"
    return ""


@pytest.fixture(scope="module")
def browser():
    browser, driver_path = _find_browser()
    if not (browser and driver_path):
        if not shutil.which("apt-get"):
            pytest.skip("no Chromium/chromedriver on this machine and no apt-get to install them "
                        f"(Debian packages: {' '.join(PACKAGES)})")
        why = _install_with_apt()
        browser, driver_path = _find_browser()
        if not (browser and driver_path):
            pytest.fail(f"Chromium is missing and could not be installed with apt-get ({why}); "
                        f"run .ci/run or `apt-get install {' '.join(PACKAGES)}`")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = browser
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                f"--window-size={WIDTH},1000", "--hide-scrollbars", "--allow-file-access-from-files"):
        opts.add_argument(arg)
    drv = webdriver.Chrome(service=Service(executable_path=driver_path), options=opts)
    drv.set_page_load_timeout(60)
    drv.set_script_timeout(60)
    yield drv
    drv.quit()


def pages(html: Path) -> list[Path]:
    out = []
    for p in sorted(html.rglob("*.html")):
        rel = p.relative_to(html).parts
        if rel[0] in ("_static", "_sources", "_images"):
            continue
        if 'http-equiv="Refresh"' in p.read_text(errors="replace")[:2000]:
            continue  # index.html: a redirect to the first page
        out.append(p)
    return out


# -- checks run inside the page ---------------------------------------------------------------

WAIT_MATHJAX = """
const done = arguments[arguments.length - 1];
const t0 = Date.now();
(function wait() {
  const mj = window.MathJax;
  if (mj && mj.startup && mj.startup.promise) {
    mj.startup.promise.then(() => done(true)).catch(e => done('MathJax failed: ' + e));
  } else if (Date.now() - t0 > 15000) {
    done(false);
  } else {
    setTimeout(wait, 50);
  }
})();
"""

WAIT_IMAGES = """
const done = arguments[arguments.length - 1];
for (const img of document.images) { if (img.loading === 'lazy') { img.loading = 'eager'; } }
const t0 = Date.now();
(function wait() {
  const pending = Array.from(document.images).filter(i => !i.complete);
  if (!pending.length || Date.now() - t0 > 10000) { done(pending.length); } else { setTimeout(wait, 50); }
})();
"""

# what a reader sees: the rendered text (innerText skips what is not displayed) outside code
# and typeset maths, and the page's title (the browser tab). Run last: it hides elements.
VISIBLE_TEXT = r"""
document.querySelectorAll('pre, code, textarea, mjx-container, mjx-assistive-mml, .highlight')
        .forEach(e => { e.style.display = 'none'; });
return [document.title, document.body.innerText];
"""

PAGE_FACTS = r"""
const out = {};
const maths = Array.from(document.querySelectorAll('span.math, div.math'));
out.n_math = maths.length;
out.untypeset = maths.filter(m => !m.querySelector('mjx-container')).map(m => m.textContent.slice(0, 80));
out.n_mjx = document.querySelectorAll('mjx-container').length;
out.broken_images = Array.from(document.images)
    .filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.getAttribute('src'));
out.errors = Array.from(document.querySelectorAll(
    '.cell_output .traceback, .cell_output .output.error, .cell_output .output.traceback'))
    .map(e => e.textContent.trim().slice(0, 200));
out.tracebacks = Array.from(document.querySelectorAll('.cell_output'))
    .filter(e => /Traceback \(most recent call last\)|^\s*\w+Error: /m.test(e.textContent))
    .map(e => e.textContent.trim().slice(0, 200));
// width: nothing wider than the text column unless inside a box that scrolls horizontally
const column = document.querySelector('article.bd-article') || document.querySelector('main') || document.body;
const col = column.getBoundingClientRect();
function scrollBox(el) {
  for (let a = el.parentElement; a && a !== column; a = a.parentElement) {
    const ox = getComputedStyle(a).overflowX;
    if (ox === 'auto' || ox === 'scroll') { return a; }   // 'hidden' would cut it off
  }
  return null;
}
out.too_wide = [];
out.scrolling = 0;
for (const el of column.querySelectorAll('table, mjx-container[display="true"], pre, img, figure, .cell_output')) {
  const r = el.getBoundingClientRect();
  if (r.width === 0 || r.height === 0) { continue; }          // hidden (a closed toggle)
  const box = scrollBox(el);
  const outer = box ? box.getBoundingClientRect() : r;
  if (box && el.tagName === 'TABLE' && r.width > outer.width + 2) { out.scrolling += 1; }
  if (outer.right > col.right + 2 || outer.left < col.left - 2) {
    const what = el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
                 (el.className && typeof el.className === 'string' ? '.' + el.className.split(' ')[0] : '');
    out.too_wide.push(`${what}: ${Math.round(outer.width)} px in a ${Math.round(col.width)} px column` +
                      ` (${el.textContent.trim().slice(0, 60)})`);
  }
}
out.page_width = document.documentElement.scrollWidth;
out.view_width = window.innerWidth;
out.links = Array.from(document.querySelectorAll('a[href]')).map(a => a.getAttribute('href'));
return out;
"""

RAW_TEX = re.compile(r"\\\(|\\\)|\\\[|\\\]|\$\$"                     # \( \) \[ \] $$
                     r"|\$[^$\s][^$\n]{0,80}?\\[A-Za-z]+[^$\n]{0,80}?\$"    # $...\cmd...$
                     r"|\\(?:theta|alpha|sigma|chi|frac|mathrm)\b")


def _ids(path: Path, cache: dict) -> set[str]:
    if path not in cache:
        text = path.read_text(errors="replace") if path.suffix == ".html" else ""
        cache[path] = set(re.findall(r'\b(?:id|name)="([^"]+)"', text))
    return cache[path]


def local_link_problems(page: Path, html: Path, hrefs: list[str], cache: dict) -> list[str]:
    bad = []
    for href in sorted(set(hrefs)):
        parts = urlsplit(href)
        if parts.scheme or parts.netloc or href.startswith(("mailto:", "javascript:", "data:")):
            continue
        target = page if not parts.path else (page.parent / unquote(parts.path)).resolve()
        if target.is_dir():
            target = target / "index.html"
        if not target.exists():
            bad.append(f"{href} -> missing {target}")
            continue
        frag = unquote(parts.fragment)
        if frag and target.suffix == ".html" and frag not in _ids(target, cache):
            bad.append(f"{href} -> no anchor #{frag} in {target.relative_to(html)}")
    return bad


def test_every_page_in_a_browser(smoke_book, browser, capsys):
    html, res = smoke_book  # tests/test_pipeline.py checks that the strict build succeeds
    assert (html / "index.html").exists(), res.stdout[-3000:] + res.stderr[-3000:]
    todo = pages(html)
    assert len(todo) >= 12, todo
    problems: dict[str, list[str]] = {}
    cache: dict = {}
    scrolling: list[str] = []
    for page in todo:
        name = str(page.relative_to(html))
        found = problems.setdefault(name, [])
        browser.set_window_size(WIDTH, 1000)
        browser.get(page.as_uri())
        mj = browser.execute_async_script(WAIT_MATHJAX)
        if mj is not True:
            found.append(f"MathJax not loaded or failed ({mj})")
        pending = browser.execute_async_script(WAIT_IMAGES)
        facts = browser.execute_script(PAGE_FACTS)
        if facts["untypeset"]:
            found.append(f"{len(facts['untypeset'])} of {facts['n_math']} maths not typeset: {facts['untypeset'][:3]}")
        if facts["n_math"] and not facts["n_mjx"]:
            found.append("maths on the page but no MathJax container")
        if facts["broken_images"] or pending:
            found.append(f"images not loaded: {facts['broken_images'][:5]}")
        if facts["errors"] or facts["tracebacks"]:
            found.append(f"error outputs: {(facts['errors'] + facts['tracebacks'])[:3]}")
        if facts["too_wide"]:
            found.append("wider than the column: " + "; ".join(facts["too_wide"][:5]))
        if facts["page_width"] > facts["view_width"] + 1:
            found.append(f"the page scrolls sideways: {facts['page_width']} px wide at {facts['view_width']} px")
        found += local_link_problems(page, html, facts["links"], cache)[:10]
        if facts["scrolling"]:
            scrolling.append(f"{name} ({facts['scrolling']})")
        if page.name == "05_table1.html":
            height = min(12000, browser.execute_script("return document.documentElement.scrollHeight"))
            browser.set_window_size(WIDTH, max(1000, height))
            SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
            browser.save_screenshot(str(SCREENSHOT))
            with capsys.disabled():  # shown in `make test`'s output, not captured
                print(f"\nscreenshot of chapter 5 at {WIDTH} px: {SCREENSHOT}")
        title, text = browser.execute_script(VISIBLE_TEXT)
        for where, t in (("the page title", title), ("the text", text)):
            hit = RAW_TEX.search(t)
            if hit:
                found.append(f"raw TeX in {where}: ...{t[max(0, hit.start() - 60):hit.end() + 40]!r}")
    if scrolling:
        with capsys.disabled():
            print(f"tables wider than the column, scrolling in their own box: {', '.join(scrolling)}")
    assert SCREENSHOT.exists() and SCREENSHOT.stat().st_size > 10_000
    report = {k: v for k, v in problems.items() if v}
    assert not report, "\n".join(f"{k}:\n  " + "\n  ".join(v) for k, v in report.items())
