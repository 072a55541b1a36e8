#!/usr/bin/env bash
# The Python clients for test/e2e/python-clients.test.ts (the official openai and anthropic SDKs,
# LangChain's ChatOpenAI, LiteLLM): a project-local venv at .cascade/pyenv with the pinned
# versions of test/python/requirements.txt. Run by .ci/run or by hand:
#
#   bash .ci/python.sh
#
# Prints the venv's python on stdout, everything else on stderr. A venv already installed from
# the same requirements.txt (its copy in .cascade/pyenv/.requirements.txt, written after a
# successful install) is kept as it is; otherwise the venv is made anew. Needs python3 with venv
# (Debian's python3-venv is installed with apt-get when `python3 -m venv` is missing) and PyPI
# through pip. Under CI=true the Python clients test fails (not skips) without the venv.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=.cascade/pyenv
requirements=test/python/requirements.txt
stamp="$venv/.requirements.txt"

if [ -x "$venv/bin/python" ] && cmp -s "$requirements" "$stamp"; then
  echo "$PWD/$venv/bin/python ($requirements already installed)" >&2
  echo "$PWD/$venv/bin/python"
  exit 0
fi

if ! command -v python3 >/dev/null 2>&1 || ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
  echo "python3 with venv not found: installing Debian's python3-venv" >&2
  sudo=()
  [ "$(id -u)" -ne 0 ] && sudo=(sudo)
  "${sudo[@]}" apt-get update >&2
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y --no-install-recommends python3-venv >&2
fi

start=$(date +%s)
echo "creating $venv ($(python3 --version 2>&1)) and installing $requirements" >&2
rm -f "$stamp"
python3 -m venv --clear "$venv" >&2
"$venv/bin/python" -m pip install --no-input --disable-pip-version-check --require-virtualenv \
  -r "$requirements" >&2
cp "$requirements" "$stamp"
echo "installed in $(($(date +%s) - start))s" >&2
echo "$PWD/$venv/bin/python"
