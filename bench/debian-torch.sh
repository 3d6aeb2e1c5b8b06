#!/bin/sh
# Unpack — not install — Debian's python3-torch and the packages it needs into DIR, for
#
#   node bench/finetune.mjs --torch-prefix DIR
#
# which then runs /usr/bin/python3 (Debian's Python, whose ABI the package is built for) with
# PYTHONPATH and LD_LIBRARY_PATH pointing into DIR. Nothing changes outside DIR: no dpkg database
# entry, no maintainer scripts. A package comes from apt's cache (/var/cache/apt/archives) when it
# is there, else from `apt-get download` (no root needed). Packages apt would upgrade (an older
# version is installed) are skipped: the system's copy serves. BLAS: OpenBLAS (pthread) is added,
# because a --no-install-recommends install of python3-torch resolves libblas.so.3 to the
# reference BLAS.
#
#   sh bench/debian-torch.sh [DIR]      # default ${TMPDIR:-/tmp}/ftr-torch/root; ~600 MB unpacked
set -eu
DIR=${1:-${TMPDIR:-/tmp}/ftr-torch/root}
DEBS="$DIR.debs"
mkdir -p "$DIR" "$DEBS"
pkgs=$(apt-get install -s --no-install-recommends python3-torch libopenblas0-pthread 2>/dev/null | awk '/^Inst/ && $3 !~ /^\[/ {print $2}')
[ -n "$pkgs" ] || { echo "debian-torch: apt-get has nothing to add (already installed? then no --torch-prefix is needed)" >&2; exit 1; }
n=0
for p in $pkgs; do
  deb=$(ls /var/cache/apt/archives/"${p}"_*.deb 2>/dev/null | head -n 1 || true)
  if [ -z "$deb" ]; then
    (cd "$DEBS" && apt-get download "$p" >/dev/null 2>&1) || { echo "debian-torch: cannot download $p" >&2; exit 1; }
    deb=$(ls "$DEBS"/"${p}"_*.deb | head -n 1)
  fi
  dpkg-deb -x "$deb" "$DIR"
  n=$((n + 1))
done
echo "debian-torch: $n packages unpacked into $DIR"
R="$DIR"
LD_LIBRARY_PATH="$R/usr/lib/x86_64-linux-gnu/openblas-pthread:$R/usr/lib/x86_64-linux-gnu:$R/lib/x86_64-linux-gnu:$R/usr/lib:$R/usr/lib/x86_64-linux-gnu/lapack" \
  PYTHONPATH="$R/usr/lib/python3/dist-packages" /usr/bin/python3 -c 'import torch; print("debian-torch: torch", torch.__version__, "imports")'
