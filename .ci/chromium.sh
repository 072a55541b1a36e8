#!/usr/bin/env bash
# Headless Chromium for the HTML report test (test/e2e/report-chromium.test.ts). Sourced by
# .ci/run or run by hand; prints the path of the browser on stdout, everything else on stderr:
#
#   export CHROMIUM_PATH="$(bash .ci/chromium.sh)"
#
# Uses $CHROMIUM_PATH, else chromium / chromium-browser / google-chrome on PATH; Debian's
# `chromium` package is installed (apt-get) only when none is found. Under CI=true the report
# test fails (not skips) without a Chromium.

chromium__find() {
  if [ -n "${CHROMIUM_PATH:-}" ] && [ -x "$CHROMIUM_PATH" ]; then
    echo "$CHROMIUM_PATH"
    return 0
  fi
  local name
  for name in chromium chromium-browser google-chrome google-chrome-stable; do
    if command -v "$name" >/dev/null 2>&1; then
      command -v "$name"
      return 0
    fi
  done
  return 1
}

chromium__install() {
  if chromium__find >/dev/null; then return 0; fi
  echo "Chromium not found: installing Debian's chromium package" >&2
  local sudo=()
  [ "$(id -u)" -ne 0 ] && sudo=(sudo)
  "${sudo[@]}" apt-get update >&2 &&
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y --no-install-recommends chromium >&2
  chromium__find >/dev/null
}

# Prints the path of a Chromium binary, installing it first when none is found.
chromium_path() {
  chromium__install || {
    echo "could not install Chromium (apt-get install chromium); set CHROMIUM_PATH to a Chromium/Chrome binary" >&2
    return 1
  }
  chromium__find
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  chromium_path
fi
