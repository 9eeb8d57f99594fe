#!/usr/bin/env python
"""Build the docs site from the notebooks, with or without quarto.

Both renderers start from the same pages. Each notebook in `nbs/` is copied to `_proc/`, executed there the way
`nbdev-test` runs it (cells flagged with a `tst_flags` flag, i.e. `slow`, are skipped), so every picture and table is
made by the current code, and then processed by nbdev's own doc processors (`show_doc`, hidden and exported cells,
links to the API).

- `python tools/build_docs.py` (the default, and what `.ci/run` does) renders `_proc/` with pandoc into `_docs/`:
  static HTML pages with the sidebar of `nbs/sidebar.yml`. pandoc installs from Debian; quarto doesn't install here
  (its PyPI package downloads a binary at install time).
- `python tools/build_docs.py --executed` renders the notebooks that the test run already executed, so that CI runs
  each notebook once: `nbdev-test --save` writes every notebook's outputs back into `nbs/` when it passes, and this
  stages those notebooks, applies the doc processors and renders them, without executing anything again.
- `python tools/build_docs.py --quarto` renders the same `_proc/` with quarto, through nbdev's own `render_quarto`,
  for machines that have quarto. `nbdev-docs` also still works there, but shows only the outputs saved in the
  notebooks, and ours are saved without outputs.
"""
import argparse, base64, html, os, re, shutil, subprocess, sys
from pathlib import Path

import yaml
from fastcore.nbio import read_nb, write_nb
from fastcore.parallel import parallel
from nbdev.config import get_config

CFG = get_config()
ROOT, NBS = CFG.config_path, CFG.nbs_path
PROC, DOCS = ROOT/'_proc', CFG.doc_path
SITE_URL = f"{CFG.doc_host}{CFG.doc_baseurl}".rstrip('/') + '/'
ANSI = re.compile(r'\x1b\[[0-9;]*[A-Za-z]')

def stage():
    "Copy `nbs/` to `_proc/`, without hidden or `_` folders and files"
    shutil.rmtree(PROC, ignore_errors=True)
    def ignore(d, names): return [n for n in names if n[0] in '._' and n not in ('_quarto.yml',)]
    shutil.copytree(NBS, PROC, ignore=ignore)
    return sorted(PROC.rglob('*.ipynb'))

def was_executed(nb)->bool:
    "Whether a notebook was saved by an executing run (`nbdev-test --save`): every run cell gets its timing there"
    return any('execution' in c.get('metadata', {}) for c in nb.cells if c.cell_type == 'code')

def process(fn:Path):
    "Apply nbdev's doc processors to an executed notebook: show_doc, hidden and exported cells, links to the API"
    from nbdev.processors import FilterDefaults
    os.chdir(ROOT)
    nb = read_nb(fn)
    FilterDefaults()(nb)
    write_nb(nb, fn)

def execute_and_process(fn:Path, execute:bool=True)->bool:
    "Run notebook `fn` in place as `nbdev-test` would, keeping its outputs (or take those it has), then process it"
    from nbdev.test import test_nb
    if execute:
        ok, secs = test_nb(fn, skip_flags=CFG.tst_flags.split(), save=True, basepath=ROOT)
        if not ok: return False
    elif not was_executed(read_nb(fn)) and any(c.cell_type == 'code' for c in read_nb(fn).cells):
        print(f"  {fn.relative_to(PROC)} has no outputs: run `nbdev-test --save` before `--executed`", file=sys.stderr)
        return False
    process(fn)
    print(f"  {fn.relative_to(PROC)}: " + (f"executed in {secs:.0f} s" if execute else "processed"), flush=True)
    return True

def run_one(fn:Path, execute:bool=True)->bool:
    "`execute_and_process` in a process of its own: notebooks replace `__main__`, and each gets one torch thread"
    env = {**os.environ, 'OMP_NUM_THREADS': '1'}  # parallel workers on few cores: OpenMP threads spin-wait otherwise
    args = ['--one', str(fn)] + ([] if execute else ['--executed'])
    return subprocess.run([sys.executable, __file__, *args], env=env).returncode == 0

# ---------------------------------------------------------------------------------------------------------------------
# pandoc renderer

def frontmatter(nb)->dict:
    "The YAML front matter nbdev's processors put in the first raw cell"
    for c in nb.cells:
        if c.cell_type == 'raw' and c.source.strip().startswith('---'):
            return yaml.safe_load(c.source.strip().strip('-')) or {}
    return {}

def out_name(rel:Path, fm:dict)->Path:
    "The page a notebook becomes: its `output-file`, as nbdev names it (`00_core.ipynb` -> `core.html`)"
    return rel.parent/fm.get('output-file', rel.with_suffix('.html').name)

def directives(src:str)->dict:
    "Quarto cell options left in the source by nbdev (`#| echo: false`)"
    d = {}
    for l in src.splitlines():
        m = re.match(r'#\|\s*([\w-]+)\s*:\s*(.*)', l)
        if m: d[m[1]] = m[2].strip()
    return d

def fence(text:str, cls:str)->str:
    n = max([3] + [len(m) + 1 for m in re.findall(r'`{3,}', text)])
    return f"{'`'*n} {{.{cls}}}\n{text.rstrip()}\n{'`'*n}\n"

def join(v): return ''.join(v) if isinstance(v, list) else v

# a warning raised inside an installed package (torch's `torch.jit.script` FutureWarning, raised by fastai's import) is
# printed with that package's path on this machine, and the line of its source: neither is the page's business
LIBRARY_WARNING = re.compile(r'^\S*(?:site-packages|dist-packages)/\S+:\d+: \w*Warning: .*\n(?:  .*\n)?', re.M)

def stream_text(o)->str:
    "A stream output's text, without the warnings raised inside installed packages (stderr only)"
    text = ANSI.sub('', join(o['text']))
    return LIBRARY_WARNING.sub('', text) if o.get('name') == 'stderr' else text

def nb_markdown(nb, media:Path=None, media_rel:str='')->str:
    "Pandoc markdown for a processed notebook; images are written to `media` (None: outputs are left out)"
    parts, n_img = [], 0
    for c in nb.cells:
        if c.cell_type == 'markdown': parts.append(c.source); continue
        if c.cell_type != 'code': continue
        opts = directives(c.source)
        if opts.get('include') == 'false': continue
        code = '\n'.join(l for l in c.source.splitlines() if not l.startswith('#|')).strip()
        if code and opts.get('echo') != 'false': parts.append(fence(code, 'python'))
        if opts.get('output') == 'false' or media is None: continue
        for o in c.get('outputs', []):
            if o['output_type'] == 'stream':
                text = stream_text(o)
                if text.strip(): parts.append(fence(text, 'output'))
                continue
            if o['output_type'] == 'error': raise RuntimeError(f"a cell failed: {o.get('ename')}: {o.get('evalue')}")
            data = o.get('data', {})
            if 'image/png' in data:
                n_img += 1; media.mkdir(parents=True, exist_ok=True)
                (media/f'output-{n_img}.png').write_bytes(base64.b64decode(join(data['image/png'])))
                parts.append(f"![]({media_rel}/output-{n_img}.png)\n")
            elif 'text/markdown' in data: parts.append(join(data['text/markdown']))
            elif 'text/html' in data: parts.append(f"```{{=html}}\n{join(data['text/html'])}\n```\n")
            elif 'text/plain' in data: parts.append(fence(ANSI.sub('', join(data['text/plain'])), 'output'))
    return '\n\n'.join(parts) + '\n'

def fix_links(md:str, rel:Path, pages:dict)->str:
    "Links to notebooks become links to their pages; links into the deployed site become relative"
    up = '../' * len(rel.parent.parts)
    def nb_link(m):
        target, frag = m[2], m[3] or ''
        p = Path(os.path.normpath(rel.parent/target))
        return f"{m[1]}{up}{pages[p]}{frag}" if p in pages else m[0]
    md = re.sub(r'(\]\()([^)\s#]+\.ipynb)(#[^)\s]*)?', nb_link, md)
    md = re.sub(r'(href=")([^"#]+\.ipynb)(#[^"]*)?', nb_link, md)
    return md.replace(SITE_URL, up)

SIDEBAR_YML = NBS/'sidebar.yml'

def sidebar_items(pages:dict, titles:dict)->list:
    "[(section or None, [(page, label)])] from `nbs/sidebar.yml`, the sidebar quarto uses too"
    def entry(o):  # `page.ipynb`, or {text:, href:}
        p = Path(o['href'] if isinstance(o, dict) else o)
        return pages[p], (o['text'] if isinstance(o, dict) else titles[p])
    out = []
    for item in yaml.safe_load(SIDEBAR_YML.read_text())['website']['sidebar']['contents']:
        if isinstance(item, dict) and 'section' in item: out.append((item['section'], [entry(o) for o in item['contents']]))
        else: out.append((None, [entry(item)]))
    return out

def sidebar_html(items, here:Path)->str:
    up = '../' * len(here.parent.parts)
    h = []
    for section, entries in items:
        links = ''.join(f'<li><a href="{up}{p.as_posix()}"{" class=active" if p == here else ""}>{html.escape(t)}</a></li>'
                        for p, t in entries)
        h.append(f'<li class="section"><span>{html.escape(section)}</span><ul>{links}</ul></li>' if section else links)
    return f'<nav id="sidebar"><a class="site" href="{up}index.html">{html.escape(CFG.title)}</a><ul>{"".join(h)}</ul></nav>'

TEMPLATE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>$pagetitle$</title>
<link rel="icon" href="data:,">
<style>$highlighting-css$</style>
<link rel="stylesheet" href="$css$">
</head><body>
<!--SIDEBAR-->
<main><header><h1 class="title">$title$</h1>$if(description)$<p class="description">$description$</p>$endif$</header>
$body$
</main>
$if(toc)$<nav id="toc"><h2>On this page</h2>$table-of-contents$</nav>$endif$
</body></html>
"""

CSS = """body{margin:0;font:16px/1.55 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#222;display:flex}
#sidebar{position:sticky;top:0;height:100vh;overflow:auto;width:250px;flex:none;padding:1.2em;background:#f7f7f9;border-right:1px solid #e3e3e8;box-sizing:border-box}
#sidebar .site{font-weight:700;font-size:1.15em;color:#2780e3;text-decoration:none}
#sidebar ul{list-style:none;padding-left:0}#sidebar ul ul{padding-left:.8em}
#sidebar li{margin:.25em 0}#sidebar a{color:#333;text-decoration:none}#sidebar a.active{color:#2780e3;font-weight:600}
#sidebar .section>span{font-weight:600;color:#666;font-size:.9em;text-transform:uppercase;letter-spacing:.03em}
main{flex:1;min-width:0;max-width:980px;padding:1.5em 2.5em}
#toc{position:sticky;top:0;height:100vh;overflow:auto;width:220px;flex:none;padding:1em;font-size:.85em;box-sizing:border-box}
#toc ul{padding-left:1em}#toc h2{font-size:1em}
.description{color:#555;font-size:1.1em}
pre{background:#f4f5f7;padding:.7em;overflow:auto;border-radius:4px}pre.output,div.output pre{background:#fff;border-left:3px solid #ccd}
code{font-size:.9em}img{max-width:100%}
table{border-collapse:collapse;margin:1em 0;font-size:.92em}th,td{border:1px solid #d8d8de;padding:.3em .6em}th{background:#f0f0f4}
h3{border-top:1px solid #eee;padding-top:.6em}
"""

def render_pandoc(nbs:list):
    "Render the processed notebooks in `_proc/` into `_docs/` with pandoc"
    shutil.rmtree(DOCS, ignore_errors=True)
    for f in PROC.rglob('*'):  # pictures, tables and data the pages link to
        if f.is_file() and f.suffix not in ('.ipynb', '.yml') and not any(p[0] in '._' for p in f.relative_to(PROC).parts):
            (DOCS/f.relative_to(PROC)).parent.mkdir(parents=True, exist_ok=True); shutil.copy2(f, DOCS/f.relative_to(PROC))
    loaded = {fn.relative_to(PROC): read_nb(fn) for fn in nbs}
    fms = {rel: frontmatter(nb) for rel, nb in loaded.items()}
    pages = {rel: out_name(rel, fms[rel]) for rel in loaded}
    titles = {rel: fms[rel].get('title', rel.stem) for rel in loaded}
    items = sidebar_items(pages, titles)
    listed = {p for _, es in items for p, _ in es}
    missing = [str(r) for r, p in pages.items() if p not in listed]
    if missing: sys.exit(f"notebooks missing from {SIDEBAR_YML}: {missing}")
    (DOCS/'styles.css').write_text(CSS)
    tpl = PROC/'_template.html'; tpl.write_text(TEMPLATE)
    for rel, nb in loaded.items():
        page, fm = pages[rel], fms[rel]
        media = page.with_suffix('').as_posix() + '_files'
        md = fix_links(nb_markdown(nb, DOCS/media, Path(media).name), rel, pages)
        up = '../' * len(page.parent.parts)
        title = fm.get('title', rel.stem)
        meta_file = PROC/'_meta.yml'  # a metadata file, unlike --metadata, is read as markdown (`code` in a description)
        meta_file.write_text(yaml.safe_dump({'title': title, 'pagetitle': f"{title} – {CFG.title}",
                                             **({'description': fm['description']} if fm.get('description') else {})}))
        meta = ['--metadata-file', str(meta_file), '--variable', f'css={up}styles.css']
        res = subprocess.run(['pandoc', '-f', 'markdown-yaml_metadata_block', '-t', 'html5', '--standalone', '--toc', '--toc-depth=3',
                              '--template', str(tpl), *meta], input=md, capture_output=True, text=True)
        if res.returncode: sys.exit(f"pandoc failed on {rel}: {res.stderr}")
        (DOCS/page).parent.mkdir(parents=True, exist_ok=True)
        (DOCS/page).write_text(res.stdout.replace('<!--SIDEBAR-->', sidebar_html(items, page)))
        print(f"  {rel} -> {DOCS.name}/{page}")

def readme_text()->str:
    "README.md as `nbdev-readme` makes it (index.ipynb, processed, not executed, as GitHub markdown), with pandoc"
    from nbdev.processors import FilterDefaults
    nb = read_nb(NBS/CFG.readme_nb)
    FilterDefaults()(nb)
    fm = frontmatter(nb)
    md = f"# {fm['title']}\n\n> {fm['description']}\n\n" + nb_markdown(nb)
    md = re.sub(r'\]\(([^)\s#]+)\.ipynb', lambda m: f"]({SITE_URL}{out_name(Path(m[1] + '.ipynb'), {})})", md)
    res = subprocess.run(['pandoc', '-f', 'markdown-smart-yaml_metadata_block', '-t', 'gfm', '--wrap=preserve'], input=md,
                         capture_output=True, text=True, check=True)
    return res.stdout

def readme(check:bool):
    "Write README.md, or with `check` exit 1 if it differs from what index.ipynb gives"
    text, path = readme_text(), ROOT/'README.md'
    if not check: path.write_text(text); return print(f"wrote {path.name}")
    if not path.exists() or path.read_text() != text:
        sys.exit(f"README.md is out of date with nbs/{CFG.readme_nb}: run `python tools/build_docs.py --readme`")
    print(f"README.md matches nbs/{CFG.readme_nb}")

def render_with_quarto():
    "nbdev's own quarto rendering of `_proc/`, as `nbdev-docs` does it"
    from nbdev.quarto import refresh_quarto_yml, _fix_quarto_nav
    from nbdev.quarto_render import render_quarto
    os.chdir(ROOT); refresh_quarto_yml()
    for f in ('_quarto.yml', 'nbdev.yml', 'sidebar.yml', 'styles.css'):
        if (NBS/f).exists(): shutil.copy2(NBS/f, PROC/f)
    render_quarto(PROC, PROC/DOCS.name)
    shutil.rmtree(DOCS, ignore_errors=True); shutil.move(PROC/DOCS.name, ROOT)
    _fix_quarto_nav(DOCS)

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--quarto', action='store_true', help='render with quarto instead of pandoc')
    ap.add_argument('--n-workers', type=int, default=2, help='notebooks executed at once')
    ap.add_argument('--readme', action='store_true', help='only write README.md from index.ipynb')
    ap.add_argument('--check', action='store_true', help='with --readme: only check that README.md is up to date')
    ap.add_argument('--render-only', action='store_true', help='render the notebooks already executed in _proc/')
    ap.add_argument('--executed', action='store_true',
                    help='render the notebooks in nbs/ that `nbdev-test --save` executed, without executing them again')
    ap.add_argument('--one', help=argparse.SUPPRESS)
    a = ap.parse_args()
    os.chdir(ROOT)
    if a.readme: return readme(a.check)
    if a.one:
        import warnings; warnings.filterwarnings('ignore', 'Found cells containing imports')  # nbdev's show_doc runner
        sys.exit(0 if execute_and_process(Path(a.one), execute=not a.executed) else 1)
    os.chdir(ROOT)
    if a.render_only: nbs = sorted(f for f in PROC.rglob('*.ipynb') if not f.name.startswith('_'))
    else:
        nbs = stage()
        print(f"{'processing the executed' if a.executed else 'executing'} {len(nbs)} notebooks in {PROC.name}/")
        ok = parallel(run_one, nbs, execute=not a.executed, n_workers=a.n_workers, threadpool=True)
        if not all(ok): sys.exit(f"notebooks failed: {[str(f.relative_to(PROC)) for f, o in zip(nbs, ok) if not o]}; no docs built")
    if a.quarto: render_with_quarto()
    else: render_pandoc(nbs)
    print(f"docs in {DOCS}")

if __name__ == '__main__': main()
