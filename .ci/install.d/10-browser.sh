#!/usr/bin/env bash
# Headless Chromium for tests/test_pad_browser.py (the drawing pad in JupyterLab): Debian's
# `chromium`, driven through its DevTools protocol (no chromedriver needed). Quick when it
# is already installed.
set -euo pipefail
if command -v chromium >/dev/null || command -v chromium-browser >/dev/null ||
  command -v google-chrome >/dev/null; then
  echo "10-browser.sh: browser present"
  exit 0
fi
if ! command -v apt-get >/dev/null; then
  echo "10-browser.sh: no apt-get; install Chromium (or Chrome) by hand" >&2
  exit 1
fi
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  sudo_cmd=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends chromium >/dev/null
chromium --version
