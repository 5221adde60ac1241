#!/usr/bin/env bash
# Set folkrnn up on a Debian/Ubuntu machine with Python >= 3.10:
# system packages (abc2midi, abcm2ps, FluidSynth, a GM soundfont), a virtual
# environment in .venv (unless one is active), PyTorch and the package itself.
# With --test, also what the test suite needs beyond that: Debian's chromium, which the
# browser tests drive through Playwright (Playwright's own browser download is not used).
# Safe to run again: it only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

DEBS="abcmidi abcm2ps libfluidsynth3 timgm6mb-soundfont"
[ "${1:-}" = "--test" ] && DEBS="$DEBS chromium"
TORCH_PIN="torch==2.13.0"   # the CPU build; the package itself only asks for torch>=2.1

missing=""
for pkg in $DEBS; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing="$missing $pkg"
done
if [ -n "$missing" ]; then
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    echo "setup: installing Debian packages:$missing"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

PY="${PYTHON:-python3}"
"$PY" -c 'import sys; sys.exit(sys.version_info < (3, 10))' \
    || { echo "setup: folkrnn needs Python 3.10 or newer" >&2; exit 1; }
if [ -z "${VIRTUAL_ENV:-}" ]; then
    if [ ! -x .venv/bin/python ]; then
        echo "setup: creating .venv"
        "$PY" -m venv .venv || { echo "setup: install python3-venv (apt-get install python3-venv)" >&2; exit 1; }
    fi
    PY=.venv/bin/python
fi
"$PY" -m pip install -q --upgrade pip >/dev/null 2>&1 || true
"$PY" -c 'import torch' 2>/dev/null || "$PY" -m pip install -q "$TORCH_PIN"
"$PY" -m pip install -q -e '.[test]'
echo "setup: ready ($("$PY" -m folkrnn --version))"
