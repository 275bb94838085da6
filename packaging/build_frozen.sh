#!/usr/bin/env bash
# Build the one-folder desktop bundle dist/genrelab/ (PyInstaller, packaging/genrelab.spec) from .venv, and
# dist/genrelab-VERSION-linux-ARCH.tar.gz from it.
#
#   packaging/build_frozen.sh            build (installs the `freeze` extra into .venv first), then smoke-test
#   packaging/build_frozen.sh --no-smoke build only
#
# Needs .venv (`packaging/bootstrap.sh app` or `test` makes it). The bundle leaves torch and the rest of the
# `train` extra out even when .venv has them. The smoke test runs the bundle itself: packaging/smoke_frozen.sh.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PY="$ROOT/.venv/bin/python"
say() { printf 'build_frozen: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

smoke=1
case "${1:-}" in
    --no-smoke) smoke=0 ;;
    "") ;;
    *) sed -n '2,8p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac

[ -x "$PY" ] || die "no .venv: run packaging/bootstrap.sh app (or test) first"
# PyInstaller reads the libraries' dependencies with binutils (objdump); strip trims libpython below.
if ! command -v objdump >/dev/null 2>&1 || ! command -v strip >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        say "installing binutils"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends binutils >/dev/null \
            || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq binutils >/dev/null; } \
            || die "apt-get install binutils failed"
    else
        die "PyInstaller needs binutils (objdump, strip): sudo apt-get install binutils"
    fi
fi
"$PY" -c "import genrelab" 2>/dev/null || die ".venv has no genrelab: run packaging/bootstrap.sh app first"

# The `freeze` extra's requirements (pyproject.toml), installed alone: `pip install -e .[freeze]` would also
# reinstall genrelab itself under whoever is using .venv.
mapfile -t reqs < <("$PY" - <<'EOF'
import tomllib
with open("pyproject.toml", "rb") as f:
    print("\n".join(tomllib.load(f)["project"]["optional-dependencies"]["freeze"]))
EOF
)
if ! "$PY" - "${reqs[@]}" <<'EOF' 2>/dev/null
import sys
from importlib.metadata import version
from packaging.requirements import Requirement
sys.exit(0 if all(Requirement(r).specifier.contains(version(Requirement(r).name)) for r in sys.argv[1:]) else 1)
EOF
then
    say "pip install ${reqs[*]}"
    "$PY" -m pip install --quiet --disable-pip-version-check "${reqs[@]}" || die "pip install ${reqs[*]} failed"
fi

version="$("$PY" -c 'import tomllib; print(tomllib.load(open("pyproject.toml", "rb"))["project"]["version"])')"
arch="$(uname -m)"
say "building dist/genrelab (PyInstaller $("$PY" -m PyInstaller --version))"
start=$(date +%s)
"$PY" -m PyInstaller --noconfirm --clean --log-level WARN \
    --distpath "$ROOT/dist" --workpath "$ROOT/build/pyinstaller" packaging/genrelab.spec
built=$(date +%s)

bundle="$ROOT/dist/genrelab"
[ -x "$bundle/genrelab" ] || die "PyInstaller made no $bundle/genrelab"
# A Python built with debug info (pyenv's, for one) carries ~16 MB of it in libpython; strip only that file
# (the wheels' own libraries are patched by auditwheel, which `strip` can break).
for lib in "$bundle"/_internal/libpython3*.so*; do
    [ -f "$lib" ] && [ ! -L "$lib" ] && strip --strip-debug "$lib"
done
# Beside the executable: the menu entry and the script that installs it (with the icons in _internal/resources).
install -m 644 resources/genrelab.desktop "$bundle/genrelab.desktop"
install -m 755 packaging/install-desktop-entry.sh "$bundle/install-desktop-entry.sh"
# What must not be in it (a dependency that starts importing torch would otherwise go unnoticed).
leaked="$(find "$bundle/_internal" -maxdepth 1 \( -iname 'torch*' -o -iname 'tensorflow*' -o -iname 'ray' \
    -o -iname 'matplotlib*' -o -iname 'sklearn*' -o -iname 'numba*' -o -iname 'llvmlite*' \) -printf '%f ')"
[ -z "$leaked" ] || die "the bundle carries what it must not: $leaked"
tarball="$ROOT/dist/genrelab-$version-linux-$arch.tar.gz"
tar -C "$ROOT/dist" -czf "$tarball" genrelab
done_=$(date +%s)
say "bundle: $bundle ($(du -sm "$bundle" | cut -f1) MB unpacked, $(find "$bundle" -type f | wc -l) files)"
say "tarball: $tarball ($(du -m "$tarball" | cut -f1) MB)"
say "times: PyInstaller $((built - start)) s, tarball $((done_ - built)) s"

if [ "$smoke" = 1 ]; then
    packaging/smoke_frozen.sh "$bundle"
fi
