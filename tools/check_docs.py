#!/usr/bin/env python
"""Open every page of the built docs (`_docs/`, from `tools/build_docs.py`) in headless Chromium and check them.

Checks, on every page served from localhost: every image has loaded (natural width > 0); every table has body rows;
every link inside the site leads to a page that exists and, with a `#fragment`, to an element with that id; the
browser logged no errors (a missing file logs one); no page shows a path of this machine's Python (a warning raised
inside an installed package prints its `site-packages` path). On the API pages: every
public name of the module (its `__all__`) has a `show_doc` entry. On the benchmark pages that have committed results:
at least one table. On the gallery: enough pictures, and a screenshot is saved for people to look at.

Usage: `python tools/check_docs.py [--screenshots DIR]`; `--self-test` checks, on a made-up site, that each defect is caught. Needs Debian's `chromium` and `chromium-driver`.
"""
import argparse, functools, http.server, importlib, re, sys, threading
from pathlib import Path
from urllib.parse import unquote, urlsplit

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT/'_docs'
# pages that must show tables because they display committed results (imagenette/imagewoof have none yet: the
# datasets can't be downloaded where they were built)
TABLE_PAGES = {'benchmarks/fashion_mnist.html': 2, 'benchmarks/transformers.html': 2, 'benchmarks/overhead.html': 1}
GALLERY, MIN_GALLERY_IMAGES = 'gallery.html', 8
# where a warning raised inside an installed package says it came from: a path of this machine's Python
LOCAL_PATH = re.compile(r'\S*/(?:site-packages|dist-packages|\.venv)/\S*')

PAGE_JS = """
const done = arguments[arguments.length - 1];
Promise.all(Array.from(document.images).map(i => i.complete ? null : new Promise(r => { i.onload = i.onerror = r; })))
.then(() => done({
  broken: Array.from(document.images).filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.getAttribute('src')),
  images: document.images.length,
  tables: Array.from(document.querySelectorAll('main table')).map(t => Array.from(t.rows).filter(r => r.querySelector('td')).length),
  links: Array.from(document.querySelectorAll('a[href]')).map(a => a.href),
  ids: Array.from(document.querySelectorAll('[id]')).map(e => e.id),
  headings: Array.from(document.querySelectorAll('main h2, main h3, main h4')).map(h => h.textContent.trim()),
  text: document.body.innerText,
}));
"""

class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *a): pass

def serve(path:Path):
    "Serve `path` on a free localhost port, in a thread; returns the base URL"
    handler = functools.partial(QuietHandler, directory=str(path))
    srv = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{srv.server_port}/"

def browser():
    opts = webdriver.ChromeOptions()
    opts.binary_location = '/usr/bin/chromium'
    for a in ('--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
              '--disable-component-update', '--disable-sync', '--disable-quic', '--window-size=1400,1000'):
        opts.add_argument(a)
    opts.set_capability('goog:loggingPrefs', {'browser': 'ALL'})
    return webdriver.Chrome(service=Service('/usr/bin/chromedriver'), options=opts)

def api_pages()->dict:
    "{page: public names} for every module: its `__all__` (constants too), on the page nbdev's index gives the module"
    from cutmix_fastai._modidx import d
    out = {}
    for mod, syms in d['syms'].items():
        pages = {v[0].split('#')[0] for v in syms.values()}
        assert len(pages) == 1, f"{mod} is documented on several pages: {pages}"
        out.setdefault(pages.pop(), []).extend(importlib.import_module(mod).__all__)
    return out

def check_site(docs:Path, api:dict, table_pages:dict, gallery:str=None, shots:Path=None)->tuple:
    "Open every page of `docs` in Chromium; (errors, {page: what the page showed})"
    pages = sorted(str(p.relative_to(docs)) for p in docs.rglob('*.html') if not p.name.startswith('_'))
    base, drv, errors, seen = serve(docs), browser(), [], {}
    try:
        for page in pages:
            drv.get(base + page)
            r = drv.execute_async_script(PAGE_JS)
            seen[page] = r
            bad = lambda msg: errors.append(f"{page}: {msg}")
            if r['broken']: bad(f"images that did not load: {r['broken']}")
            if any(n == 0 for n in r['tables']): bad(f"a table without rows (rows per table: {r['tables']})")
            if paths := sorted(set(LOCAL_PATH.findall(r['text']))): bad(f"paths of this machine shown: {paths[:3]}")
            for log in drv.get_log('browser'):
                if log['level'] == 'SEVERE': bad(f"browser error: {log['message']}")
            print(f"{page}: {r['images']} images, {len(r['tables'])} tables {r['tables']}, {len(r['links'])} links")
            if page == gallery and shots:
                shots.mkdir(parents=True, exist_ok=True)
                drv.execute_script("document.querySelector('main h2').scrollIntoView()")
                drv.save_screenshot(str(shots/'gallery.png'))
                drv.set_window_size(1400, drv.execute_script('return document.body.scrollHeight'))
                drv.save_screenshot(str(shots/'gallery_full.png'))
                drv.set_window_size(1400, 1000)
                print(f"  screenshots: {shots/'gallery.png'}, {shots/'gallery_full.png'}")
    finally:
        drv.quit()

    for page, r in seen.items():  # links inside the site: the page exists, and so does the fragment's target
        for href in r['links']:
            if not href.startswith(base): continue
            u = urlsplit(href); target = u.path.lstrip('/') or 'index.html'
            if target.endswith('/'): target += 'index.html'
            if not (docs/target).exists(): errors.append(f"{page}: broken link {href}"); continue
            if u.fragment and target in seen and unquote(u.fragment) not in seen[target]['ids']:
                errors.append(f"{page}: link to a missing anchor {href}")
    for page, names in api.items():
        if page not in seen: errors.append(f"{page}: API page missing, for {names}"); continue
        missing = [n for n in names if n not in seen[page]['headings']]
        if missing: errors.append(f"{page}: no API entry for {missing}")
        else: print(f"{page}: all {len(names)} public names have an entry")
    for page, n in table_pages.items():
        if page not in seen or len(seen[page]['tables']) < n: errors.append(f"{page}: expected at least {n} tables with rows")
    if gallery and seen.get(gallery, {}).get('images', 0) < MIN_GALLERY_IMAGES:
        errors.append(f"{gallery}: fewer than {MIN_GALLERY_IMAGES} pictures")
    return errors, seen

BROKEN_SITE = {  # one page per defect the check must catch, and one good page that it must pass
    'good.html': '<main><h3>good_fn</h3><table><tr><th>a</th></tr><tr><td>1</td></tr></table><a href="good.html#x" id="x">self</a></main>',
    'image.html': '<main><img src="missing.png"></main>',
    'link.html': '<main><a href="nowhere.html">a dead link</a></main>',
    'anchor.html': '<main><a href="good.html#no-such-id">a dead anchor</a></main>',
    'table.html': '<main><table><tr><th>only a header</th></tr></table></main>',
    'warning.html': '<main><pre>/venv/lib/python3.11/site-packages/torch/jit/_script.py:1491: FutureWarning: x</pre></main>',
}

def self_test():
    "The check must fail on a site with each defect, and pass the good page: a check that can't fail checks nothing"
    import tempfile
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        for name, body in BROKEN_SITE.items(): (d/name).write_text(f'<!DOCTYPE html><html><head><link rel="icon" href="data:,"></head><body>{body}</body></html>')
        errors, _ = check_site(d, api={'good.html': ['good_fn'], 'link.html': ['missing_fn']}, table_pages={'good.html': 1, 'image.html': 1})
    expected = {'image.html': 'images that did not load', 'link.html': 'broken link', 'anchor.html': 'missing anchor',
                'table.html': 'table without rows', 'warning.html': 'paths of this machine'}
    for page, what in expected.items():
        assert any(e.startswith(page) and what in e for e in errors), f"the check missed: {page}: {what}\n{errors}"
    assert any('no API entry' in e and 'missing_fn' in e for e in errors), errors
    assert any(e.startswith('image.html: expected at least 1 tables') for e in errors), errors
    assert not any(e.startswith('good.html') for e in errors), errors
    print(f"docs check self-test: all {len(expected) + 2} kinds of defect caught, the good page passed")

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--screenshots', default=str(DOCS/'_screenshots'), help='where to save the gallery screenshots')
    ap.add_argument('--self-test', action='store_true', help='check that the check catches broken pages, on a made-up site')
    a = ap.parse_args()
    if a.self_test: return self_test()
    errors, seen = check_site(DOCS, api_pages(), TABLE_PAGES, GALLERY, Path(a.screenshots))
    if errors: sys.exit("docs check FAILED:\n" + '\n'.join(errors))
    print(f"docs check: {len(seen)} pages passed (images load, tables have rows, internal links resolve, API entries present)")

if __name__ == '__main__': main()
