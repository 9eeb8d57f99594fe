"""Write README.md from nbs/index.ipynb without quarto (which can't be installed offline).

nbdev-readme renders index.ipynb with quarto; this does the same job for a notebook without outputs:
markdown cells as they are, code cells as python blocks, cells marked `#| hide` left out.
`--check` exits 1 when README.md differs from what index.ipynb gives.
"""
import json, sys
from pathlib import Path

root = Path(__file__).resolve().parent.parent

def render(nb_path):
    parts = []
    for cell in json.loads(nb_path.read_text())['cells']:
        src = ''.join(cell['source']).strip('\n')
        lines = src.split('\n')
        directives = [l for l in lines if l.startswith('#|')]
        if any('hide' in d for d in directives) or not src: continue
        if cell['cell_type'] == 'markdown': parts.append(src)
        else: parts.append('```python\n' + '\n'.join(l for l in lines if not l.startswith('#|')).strip('\n') + '\n```')
    return '\n\n'.join(parts) + '\n'

if __name__ == '__main__':
    text, readme = render(root/'nbs'/'index.ipynb'), root/'README.md'
    if '--check' in sys.argv:
        if not readme.exists() or readme.read_text() != text:
            sys.exit('README.md is out of date with nbs/index.ipynb: run `python tools/make_readme.py`')
        print('README.md matches nbs/index.ipynb')
    else: readme.write_text(text); print('wrote README.md')
