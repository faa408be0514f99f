#!/usr/bin/env bash
# reveal.js, require.js, jQuery and MathJax 3 for the slides (helpers/slides.py) and the book
# (helpers/book.py), which copy them next to their pages so that both open offline: from npm,
# exactly as pinned in web/package-lock.json, under the machine's Node.js.
set -euo pipefail
if ! command -v npm >/dev/null; then
  echo "30-web.sh: npm is needed (e.g. apt-get install nodejs npm)" >&2
  exit 1
fi
npm ci --silent --no-audit --no-fund --prefix web
test -f web/node_modules/reveal.js/dist/reveal.js
test -f web/node_modules/mathjax-full/es5/tex-svg-full.js
echo "30-web.sh: reveal.js and MathJax installed under web/node_modules"
