#!/usr/bin/env bash
# GenreLab bootstrap: install what is missing, then start the app or run the test suite.
#
#   packaging/bootstrap.sh app  [GENRELAB ARGS...]   install the app's needs, then run `genrelab ARGS`
#   packaging/bootstrap.sh test [PYTEST ARGS...]     install everything (train + test extras, audio and Qt
#                                                    system libraries), start a PulseAudio null sink, run
#                                                    `ruff check .` and `python -m pytest -q`
#
# Debian/Ubuntu system packages are installed with apt-get when missing (as root, or through sudo); elsewhere
# the script says what to install. The virtual environment is `.venv` in the repository root. A second run
# with nothing to do takes about a second: apt is skipped when `dpkg -s` says every package is installed, pip
# when `.venv` was set up from the same pyproject.toml.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="$ROOT/.venv"
PY="$VENV/bin/python"

say() { printf 'bootstrap: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

usage() {
    sed -n '2,7p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

# ---- system packages -------------------------------------------------------------------------------------
# Qt 6 (PySide6 wheels) on the offscreen and xcb platforms, and PortAudio for sounddevice.
APP_DEBS=(
    libportaudio2
    libegl1 libgl1 libglib2.0-0 libfontconfig1 libfreetype6 libdbus-1-3 libxkbcommon0 libxkbcommon-x11-0
    libx11-xcb1 libxcb1 libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0
    libxcb-render0 libxcb-render-util0 libxcb-shape0 libxcb-shm0 libxcb-sync1 libxcb-util1 libxcb-xfixes0
    libxcb-xkb1
)
# The tests also record and play through a PulseAudio null sink (ALSA's pulse plugin lets PortAudio see it)
# and may draw on a virtual X screen.
TEST_DEBS=(libasound2-plugins pulseaudio pulseaudio-utils xvfb xauth)

missing_debs() {
    local pkg
    for pkg in "$@"; do
        # `dpkg -s` alone also succeeds for a removed package whose config files remain
        [ "$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null)" = "install ok installed" ] || printf '%s\n' "$pkg"
    done
}

install_debs() {
    command -v dpkg >/dev/null 2>&1 || {
        say "not a Debian-like system: make sure the equivalents of these are installed: $*"
        return 0
    }
    local missing
    mapfile -t missing < <(missing_debs "$@")
    [ "${#missing[@]}" -eq 0 ] && return 0
    local sudo=()
    if [ "$(id -u)" -ne 0 ]; then
        if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
            sudo=(sudo -n)
        else
            say "missing system packages (not root, no sudo): sudo apt-get install ${missing[*]}"
            return 0
        fi
    fi
    say "installing system packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    "${sudo[@]}" apt-get update -qq || say "apt-get update failed; trying the install anyway"
    "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
        || die "apt-get install failed for: ${missing[*]}"
}

# ---- Python environment ----------------------------------------------------------------------------------
stamp_for() {  # what a finished install of extras "$1" from this checkout looks like
    printf '%s %s %s\n' "$1" "$ROOT" "$(sha256sum pyproject.toml | cut -d' ' -f1)"
}

ensure_venv() {
    if [ ! -x "$PY" ]; then
        command -v python3 >/dev/null 2>&1 || die "python3 (3.10 or newer) is needed: apt-get install python3"
        if ! python3 -m venv --help >/dev/null 2>&1; then
            install_debs python3-venv
        fi
        say "creating $VENV"
        python3 -m venv "$VENV" || die "could not create $VENV (on Debian: apt-get install python3-venv)"
    fi
}

ensure_python_packages() {  # $1: "" for the app, "train,test,cluster" for the tests
    local extras="$1" spec="." stamp_file="$VENV/.genrelab-installed"
    [ -n "$extras" ] && spec=".[$extras]"
    if [ -f "$stamp_file" ] && grep -qxF "$(stamp_for "$extras")" "$stamp_file" \
        && "$PY" -c "import genrelab" >/dev/null 2>&1; then
        return 0
    fi
    say "pip install -e \"$spec\" (torch comes with the train extra: a few minutes the first time)"
    "$PY" -m pip install --quiet --disable-pip-version-check -e "$spec" || die "pip install -e \"$spec\" failed"
    if [[ "$extras" == *train* ]]; then
        # musicnn's TF1 checkpoints, read by training/musicnn_convert.py and its test; the package pins an old
        # numpy that does not install on Python 3.11, and we need none of its dependencies: --no-deps.
        "$PY" -m pip install --quiet --disable-pip-version-check --no-deps "musicnn==0.1.0" \
            || die "pip install --no-deps musicnn failed"
    fi
    stamp_for "$extras" >>"$stamp_file"
}

# ---- PulseAudio null sink --------------------------------------------------------------------------------
ensure_pulseaudio() {
    command -v pactl >/dev/null 2>&1 || { say "pactl not found: audio-device tests will be skipped"; return 0; }
    if pactl info >/dev/null 2>&1; then
        local sinks
        sinks="$(pactl list short sinks 2>/dev/null || true)"
        [[ "$sinks" == *null* ]] || pactl load-module module-null-sink >/dev/null || true
        return 0
    fi
    say "starting a PulseAudio daemon with a null sink"
    # As root PulseAudio warns that it is meant for a user session but runs; it keeps going while idle.
    pulseaudio -D --exit-idle-time=-1 -n --load=module-null-sink --load=module-native-protocol-unix \
        --log-target=stderr >/dev/null 2>&1 || true
    local i
    for i in $(seq 50); do
        pactl info >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    say "PulseAudio did not start: audio-device tests will be skipped"
}

# ---- main ------------------------------------------------------------------------------------------------
mode="${1:-}"
[ $# -gt 0 ] && shift
case "$mode" in
    app)
        install_debs "${APP_DEBS[@]}"
        ensure_venv
        # The test install is a superset of the app's: keep it rather than reinstalling.
        if ! { [ -f "$VENV/.genrelab-installed" ] \
            && grep -qxF "$(stamp_for train,test,cluster)" "$VENV/.genrelab-installed"; }; then
            ensure_python_packages ""
        fi
        if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ] && [ -z "${QT_QPA_PLATFORM:-}" ]; then
            say "no display found: Qt runs offscreen (set DISPLAY to see the window)"
            export QT_QPA_PLATFORM=offscreen
        fi
        exec "$VENV/bin/genrelab" "$@"
        ;;
    test)
        install_debs "${APP_DEBS[@]}" "${TEST_DEBS[@]}"
        ensure_venv
        ensure_python_packages "train,test,cluster"
        ensure_pulseaudio
        export QT_QPA_PLATFORM=offscreen
        status=0
        "$VENV/bin/ruff" check . || status=1
        "$PY" -m pytest -q "$@" || status=$?
        exit "$status"
        ;;
    -h | --help | help | "") usage ;;
    *) say "unknown command '$mode'"; usage ;;
esac
