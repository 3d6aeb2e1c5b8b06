#!/usr/bin/env bash
# The interop suite: ftr's exports loaded in the real Python libraries (test/interop/, pytest).
# Builds a virtual environment from the machine's local package index in a cache folder, builds
# dist/ if needed, runs pytest and ends with its own "interop: N passed, N failed" line.
# Where the index is not there it says so loudly and skips (exit 0, "N skipped" in the line);
# FTR_INTEROP_REQUIRED=1 turns that into a failure.
#   FTR_INTEROP_CACHE  where the venv lives (default ~/.cache/ftr-interop)
#   FTR_INTEROP_WORK   keep the generated ftr project here (default: a temp folder)
set -uo pipefail
cd "$(dirname "$0")/.."

PKGS=(torch transformers peft datasets tokenizers tiktoken safetensors pyarrow pytest pyyaml)
CACHE="${FTR_INTEROP_CACHE:-$HOME/.cache/ftr-interop}"
VENV="$CACHE/venv-$(printf '%s\n' "${PKGS[@]}" | sha256sum | cut -c1-8)"
LOG="$CACHE/pip.log"
mkdir -p "$CACHE"

skip() {
  echo "################################################################################" >&2
  echo "# INTEROP SUITE SKIPPED: $1" >&2
  echo "# (nothing was checked against transformers/peft/datasets/tokenizers/tiktoken)" >&2
  echo "################################################################################" >&2
  echo "interop: 0 passed, 0 failed, 1 skipped"
  [ "${FTR_INTEROP_REQUIRED:-0}" = 1 ] && exit 1
  exit 0
}

command -v python3 >/dev/null || skip "no python3 on this machine"

if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import torch, transformers, peft, datasets, tokenizers, tiktoken, safetensors, pyarrow, pytest, yaml' 2>/dev/null; then
  # the local index only: pip's configured file:// indexes and find-links, never the public one
  pip_args=(--disable-pip-version-check --retries 0 --timeout 15)
  index_urls=$(python3 -m pip config list 2>/dev/null | sed -n "s/^[^=]*\.\(extra-index-url\|index-url\)='\(.*\)'$/\2/p" | tr ' ' '\n' | grep '^file://' || true)
  links=$(python3 -m pip config list 2>/dev/null | sed -n "s/^[^=]*\.find-links='\(.*\)'$/\1/p" | tr ' ' '\n' | sort -u || true)
  first=1
  for u in $index_urls; do
    if [ $first = 1 ]; then pip_args+=(--index-url "$u"); first=0; else pip_args+=(--extra-index-url "$u"); fi
  done
  for l in $links; do pip_args+=(--find-links "$l"); done
  [ $first = 1 ] && [ -z "$links" ] && skip "pip has no local package index configured (no file:// index-url / find-links)"
  echo "interop: building $VENV from the local package index (once; log: $LOG)" >&2
  rm -rf "$VENV"
  python3 -m venv "$VENV" >"$LOG" 2>&1 || skip "python3 -m venv failed (see $LOG)"
  "$VENV/bin/pip" install "${pip_args[@]}" "${PKGS[@]}" >>"$LOG" 2>&1 || { rm -rf "$VENV"; skip "pip could not install ${PKGS[*]} from the local index (see $LOG)"; }
fi

[ -f dist/cli/main.js ] || npx tsc -p tsconfig.build.json || { echo "interop: build failed"; echo "interop: 0 passed, 1 failed"; exit 1; }

report="$(mktemp)"
"$VENV/bin/python" -m pytest test/interop -q -p no:cacheprovider --junitxml="$report" "$@"
status=$?
"$VENV/bin/python" - "$report" <<'PY' || { echo "interop: 0 passed, 1 failed"; status=1; }
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
suites = [root] if root.tag == "testsuite" else list(root)
n = lambda k: sum(int(s.get(k, 0)) for s in suites)
failed = n("failures") + n("errors")
skipped = n("skipped")
passed = n("tests") - failed - skipped
print(f"interop: {passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""))
PY
rm -f "$report"
# pytest exits 5 when it collected nothing: that is a failure here, never a silent pass
[ $status = 5 ] && { echo "interop: no tests collected"; exit 1; }
exit $status
