#!/usr/bin/env bash
# Start time of GenreLab to a window on screen, as a person sees it (a benchmark: prints numbers, asserts nothing):
#
#   packaging/measure_start.sh [--cold] [--runs N] [GENRELAB]    default GENRELAB: dist/genrelab/genrelab
#
# Starts the app with no track on $DISPLAY (or on a private Xvfb screen with openbox when there is none), and
# times process start -> the GenreLab window is mapped and visible (xdotool), then closes it. --cold first drops
# the page cache (root only) so that the first run reads everything from disk. Needs xdotool (apt-get install
# xdotool; and xvfb, openbox without a display). Settings go to a temporary home.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cold=0 runs=3 app="$ROOT/dist/genrelab/genrelab"
while [ $# -gt 0 ]; do
    case "$1" in
        --cold) cold=1; shift ;;
        --runs) runs="$2"; shift 2 ;;
        -h | --help) sed -n '2,9p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) app="$1"; shift ;;
    esac
done
command -v xdotool >/dev/null || { echo "measure_start: needs xdotool (apt-get install xdotool)" >&2; exit 2; }
[ -x "$app" ] || { echo "measure_start: $app is not executable" >&2; exit 2; }

work="$(mktemp -d)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
if [ -z "${DISPLAY:-}" ]; then
    for n in $(seq 90 120); do [ -e "/tmp/.X11-unix/X$n" ] || break; done
    Xvfb ":$n" -screen 0 1600x1000x24 >/dev/null 2>&1 & pids+=($!)
    export DISPLAY=":$n"
    for _ in $(seq 50); do [ -e "/tmp/.X11-unix/X$n" ] && break; sleep 0.1; done
    openbox >/dev/null 2>&1 & pids+=($!)
    sleep 0.5
fi
export HOME="$work" XDG_CONFIG_HOME="$work/config" XDG_DATA_HOME="$work/data" XDG_CACHE_HOME="$work/cache"
unset QT_QPA_PLATFORM

for i in $(seq "$runs"); do
    label="warm"
    if [ "$i" = 1 ] && [ "$cold" = 1 ]; then
        sync
        if echo 3 >/proc/sys/vm/drop_caches 2>/dev/null; then label="cold"; else label="warm (cannot drop caches)"; fi
    fi
    t0=$(date +%s%N)
    "$app" >"$work/app.log" 2>&1 &
    app_pid=$!
    win=""
    for _ in $(seq 1200); do  # 60 s at most
        win="$(xdotool search --onlyvisible --pid "$app_pid" --name '^GenreLab' 2>/dev/null | head -1 || true)"
        [ -n "$win" ] && break
        kill -0 "$app_pid" 2>/dev/null || break
        sleep 0.05
    done
    t1=$(date +%s%N)
    if [ -n "$win" ]; then
        printf 'run %d (%s): window on screen after %d ms\n' "$i" "$label" $(( (t1 - t0) / 1000000 ))
    else
        printf 'run %d: no window (see below)\n' "$i"; tail -5 "$work/app.log"
    fi
    kill "$app_pid" 2>/dev/null || true
    wait "$app_pid" 2>/dev/null || true
done
