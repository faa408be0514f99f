#!/usr/bin/env bash
# MathJax for tests/test_mathjax.py: mathjax-full from npm, exactly as pinned in
# tests/mathjax/package-lock.json, under the machine's Node.js (20 or newer).
set -euo pipefail
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "20-mathjax.sh: Node.js and npm are needed (e.g. apt-get install nodejs npm)" >&2
  exit 1
fi
npm ci --silent --no-audit --no-fund --prefix tests/mathjax
node -e 'require("./tests/mathjax/node_modules/mathjax-full/js/mathjax.js")'
echo "mathjax-full installed under Node.js $(node --version)"
