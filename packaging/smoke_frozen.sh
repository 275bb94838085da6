#!/usr/bin/env bash
# Smoke test of the frozen bundle, run from the bundle itself (no Python needed):
#
#   packaging/smoke_frozen.sh [BUNDLE_DIR]     default dist/genrelab; screenshots go to $SMOKE_OUT (default a temp dir)
#
# Checks: `genrelab analyse` prints its line for the shipped demo track; a missing file is one error line;
# `genrelab --screenshot` draws the window (every page this build has); `genrelab devices` runs (when the build
# has that command); `genrelab tag` and `similar` on two copies of the demo track (when the build has them);
# `genrelab train` says in one line that it needs the train extra; cold start time to a
# drawn window; the desktop entry installs from the bundle. Settings and data go to a temporary home: the
# user's own are not touched.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUNDLE="$(cd "${1:-$ROOT/dist/genrelab}" && pwd)"
APP="$BUNDLE/genrelab"
DEMO="$BUNDLE/_internal/resources/demo/genrelab-demo.flac"
[ -x "$APP" ] || { echo "smoke: no $APP (run packaging/build_frozen.sh)" >&2; exit 1; }

# A PulseAudio server of this session stays reachable after HOME moves (for `genrelab devices`).
pulse=""
if command -v pactl >/dev/null 2>&1 && pactl info >/dev/null 2>&1; then
    pulse="$(pactl info | sed -n 's/^Server String: //p')"
    cookie="${XDG_CONFIG_HOME:-$HOME/.config}/pulse/cookie"
    [ -n "$pulse" ] && export PULSE_SERVER="$pulse"
    [ -f "$cookie" ] && export PULSE_COOKIE="$cookie"
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
OUT="${SMOKE_OUT:-$work/shots}"
mkdir -p "$OUT"
export HOME="$work/home" XDG_CONFIG_HOME="$work/home/.config" XDG_DATA_HOME="$work/home/.local/share" \
    XDG_CACHE_HOME="$work/home/.cache"
mkdir -p "$XDG_CONFIG_HOME" "$XDG_DATA_HOME" "$XDG_CACHE_HOME"
[ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] || export QT_QPA_PLATFORM="${QT_QPA_PLATFORM:-offscreen}"

passed=0 failed=0
ok() { passed=$((passed + 1)); printf 'smoke: ok    %s\n' "$*"; }
bad() { failed=$((failed + 1)); printf 'smoke: FAIL  %s\n' "$*"; }
no_traceback() { ! grep -q "Traceback" "$1"; }
now() { date +%s%N; }
secs_since() { local ms=$(( ($(now) - $1) / 1000000 )); printf '%d.%d' $((ms / 1000)) $(( (ms % 1000) / 100 )); }
png_ok() {  # a PNG of at least 20 kB: a drawn window, not an empty one
    [ -f "$1" ] && [ "$(head -c 4 "$1" | od -An -c | tr -d ' ')" = "211PNG" ] && [ "$(stat -c %s "$1")" -gt 20000 ]
}

# 1. cold start: process start to the window drawn into a PNG (no track: start-up alone)
t0=$(now)
if timeout 120 "$APP" --screenshot "$OUT/start.png" >"$work/start.log" 2>&1 && png_ok "$OUT/start.png"; then
    ok "start to a drawn window: $(secs_since "$t0") s (cold: first run of this bundle)"
else
    bad "start: --screenshot with no track: $(tail -3 "$work/start.log")"
fi

# 2. analyse prints its line
if timeout 120 "$APP" analyse "$DEMO" >"$work/analyse.out" 2>"$work/analyse.err" \
    && grep -Eq '^.*genrelab-demo\.flac  0:40  [a-z]+ [0-9.]+  \(top-3: ' "$work/analyse.out"; then
    ok "analyse: $(cat "$work/analyse.out")"
else
    bad "analyse: $(cat "$work/analyse.out" "$work/analyse.err" | tail -5)"
fi

# 3. bad input: one line, a failure status, no traceback
status=0
timeout 60 "$APP" analyse "$work/no-such-file.mp3" >/dev/null 2>"$work/missing.err" || status=$?
if [ "$status" -ne 0 ] && [ "$(wc -l <"$work/missing.err")" = 1 ] && no_traceback "$work/missing.err"; then
    ok "missing file: $(cat "$work/missing.err")"
else
    bad "missing file: status $status: $(head -5 "$work/missing.err")"
fi

# 4. the window with the demo track analysed, then every other page this build has
t0=$(now)
if timeout 180 "$APP" --screenshot "$OUT/analyse.png" "$DEMO" >"$work/shot.log" 2>&1 && png_ok "$OUT/analyse.png"; then
    ok "screenshot of the analysed demo track: $OUT/analyse.png ($(secs_since "$t0") s)"
else
    bad "screenshot: $(grep -v propagateSizeHints "$work/shot.log" | tail -5)"
fi
for page in live train library; do
    status=0
    timeout 180 "$APP" --screenshot "$OUT/$page.png" --page "$page" >"$work/$page.log" 2>&1 || status=$?
    if [ "$status" = 0 ] && png_ok "$OUT/$page.png"; then
        ok "screenshot of the $page page: $OUT/$page.png"
    elif [ "$status" = 2 ] && grep -q "not part of this install" "$work/$page.log"; then
        module="$page"; [ "$page" = train ] && module=training
        if [ -e "$ROOT/genrelab/gui/pages/$module" ] || [ -e "$ROOT/genrelab/gui/pages/$module.py" ]; then
            bad "the $page page is in the checkout (genrelab/gui/pages/$module) but not in the bundle"
        else
            printf 'smoke: skip  the %s page is not in this build (nor in the checkout)\n' "$page"
        fi
    else
        bad "$page page: status $status: $(grep -v propagateSizeHints "$work/$page.log" | tail -5)"
    fi
done

# 5. the commands: model card, devices (once the recorder is in), train without torch
if timeout 60 "$APP" model >"$work/model.out" 2>&1 && grep -q "^Architecture: " "$work/model.out"; then
    ok "model: $(head -2 "$work/model.out" | tail -1)"
else
    bad "model: $(tail -5 "$work/model.out")"
fi
if timeout 60 "$APP" --help | grep -Eq '^ +devices '; then
    status=0
    timeout 60 "$APP" devices >"$work/devices.out" 2>&1 || status=$?
    if [ "$status" = 0 ] && no_traceback "$work/devices.out"; then
        ok "devices: $(head -4 "$work/devices.out" | tr -s ' ' | tr '\n' '|')"
    elif [ -z "$pulse" ] && no_traceback "$work/devices.out" && [ "$(wc -l <"$work/devices.out")" = 1 ]; then
        ok "devices (no sound server here): $(cat "$work/devices.out")"
    else
        bad "devices: status $status: $(tail -5 "$work/devices.out")"
    fi
else
    printf 'smoke: skip  this build has no `genrelab devices` command\n'
fi
if timeout 60 "$APP" --help | grep -Eq '^ +tag '; then  # the library: worker processes (spawn) from the bundle
    mkdir -p "$work/music"
    cp "$DEMO" "$work/music/one.flac"
    cp "$DEMO" "$work/music/two.flac"
    if timeout 300 "$APP" tag --db "$work/library.sqlite" --jobs 2 "$work/music" >"$work/tag.out" 2>"$work/tag.err" \
        && grep -q "2 analysed" "$work/tag.out" \
        && timeout 120 "$APP" similar --db "$work/library.sqlite" "$work/music/one.flac" >"$work/similar.out" 2>&1 \
        && grep -q "two.flac" "$work/similar.out"; then
        ok "tag (2 worker processes) and similar: $(head -1 "$work/tag.out")"
    else
        bad "tag/similar: $(tail -3 "$work/tag.out" "$work/tag.err" "$work/similar.out" 2>/dev/null)"
    fi
else
    printf 'smoke: skip  this build has no `genrelab tag` command\n'
fi
status=0
timeout 60 "$APP" train --data "$work" --out "$work/run" >"$work/train.out" 2>&1 || status=$?
if [ "$status" = 2 ] && grep -q "train. extra" "$work/train.out" && no_traceback "$work/train.out"; then
    ok "train without torch: one line naming the train extra"
else
    bad "train without torch: status $status: $(tail -5 "$work/train.out")"
fi

# 6. the desktop entry, installed from the bundle into the temporary home
if "$BUNDLE/install-desktop-entry.sh" >"$work/desktop.log" 2>&1 \
    && grep -qx "Exec=$APP %f" "$XDG_DATA_HOME/applications/genrelab.desktop" \
    && [ -f "$XDG_DATA_HOME/icons/hicolor/48x48/apps/genrelab.png" ] \
    && [ -f "$XDG_DATA_HOME/icons/hicolor/scalable/apps/genrelab.svg" ]; then
    ok "desktop entry and icons install from the bundle"
else
    bad "desktop entry: $(tail -3 "$work/desktop.log")"
fi

echo "smoke: $passed passed, $failed failed"
[ "$failed" = 0 ]
