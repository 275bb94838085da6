#!/usr/bin/env bash
# Put GenreLab in the desktop's application menu (for this user; no root needed):
#
#   install-desktop-entry.sh [--exec PATH]   install genrelab.desktop and the icons
#   install-desktop-entry.sh --uninstall     remove them again
#
# Which `genrelab` it starts: --exec PATH; else the bundle this script sits in (dist/genrelab/ or an unpacked
# tarball); else, in a checkout, dist/genrelab/genrelab when built, or .venv/bin/genrelab.
# Writes ${XDG_DATA_HOME:-~/.local/share}/applications/genrelab.desktop and
# .../icons/hicolor/{16x16..512x512,scalable}/apps/genrelab.{png,svg}; files it did not write are left alone.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
DATA="${XDG_DATA_HOME:-$HOME/.local/share}"
APPS="$DATA/applications"
ICONS="$DATA/icons/hicolor"
MARK="X-GenreLab-Installed-By=install-desktop-entry.sh"
say() { printf 'install-desktop-entry: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

exec_path="" uninstall=0
while [ $# -gt 0 ]; do
    case "$1" in
        --exec) [ $# -ge 2 ] || die "--exec needs a path"; exec_path="$2"; shift 2 ;;
        --uninstall) uninstall=1; shift ;;
        -h | --help) sed -n '2,10p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown argument '$1' (see --help)" ;;
    esac
done

refresh() {  # let the menu and the icon theme notice (both tools are optional)
    command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database -q "$APPS" 2>/dev/null || true
    command -v gtk-update-icon-cache >/dev/null 2>&1 && gtk-update-icon-cache -q -t "$ICONS" 2>/dev/null || true
}

if [ "$uninstall" = 1 ]; then
    entry="$APPS/genrelab.desktop"
    if [ -f "$entry" ] && ! grep -qx "$MARK" "$entry"; then
        die "$entry was not written by this script: left alone"
    fi
    rm -f "$entry"
    find "$ICONS" -path '*/apps/genrelab.png' -delete 2>/dev/null || true
    rm -f "$ICONS/scalable/apps/genrelab.svg"
    refresh
    say "removed the GenreLab menu entry and icons"
    exit 0
fi

# Where the desktop file and icons come from: a bundle (this script beside `genrelab`) or a checkout.
if [ -f "$HERE/genrelab.desktop" ] && [ -d "$HERE/_internal/resources/icons" ]; then
    desktop_src="$HERE/genrelab.desktop" icon_src="$HERE/_internal/resources/icons"
    default_exec="$HERE/genrelab"
elif [ -f "$HERE/../resources/genrelab.desktop" ]; then
    root="$(cd "$HERE/.." && pwd)"
    desktop_src="$root/resources/genrelab.desktop" icon_src="$root/resources/icons"
    if [ -x "$root/dist/genrelab/genrelab" ]; then default_exec="$root/dist/genrelab/genrelab"
    else default_exec="$root/.venv/bin/genrelab"; fi
else
    die "cannot find genrelab.desktop beside this script or in ../resources"
fi
exec_path="${exec_path:-$default_exec}"
[ -x "$exec_path" ] || die "$exec_path is not an executable genrelab (build it, or pass --exec PATH)"
exec_path="$(cd "$(dirname "$exec_path")" && pwd)/$(basename "$exec_path")"
case "$exec_path" in
    *[[:space:]\"\'\\\$\`]*) die "$exec_path: a path with spaces or quotes cannot go into a desktop entry's Exec" ;;
esac

mkdir -p "$APPS"
entry="$APPS/genrelab.desktop"
if [ -f "$entry" ] && ! grep -qx "$MARK" "$entry"; then
    die "$entry exists and was not written by this script: remove it first"
fi
tmp="$(mktemp "$APPS/.genrelab.desktop.XXXXXX")"
sed -e "s|^Exec=genrelab |Exec=$exec_path |" -e "s|^TryExec=genrelab\$|TryExec=$exec_path|" "$desktop_src" >"$tmp"
printf '%s\n' "$MARK" >>"$tmp"
chmod 644 "$tmp"
mv -f "$tmp" "$entry"

count=0
for png in "$icon_src"/genrelab-*.png; do
    [ -f "$png" ] || continue
    size="${png##*/genrelab-}"; size="${size%.png}"
    install -D -m 644 "$png" "$ICONS/${size}x${size}/apps/genrelab.png"
    count=$((count + 1))
done
[ -f "$icon_src/genrelab.svg" ] && install -D -m 644 "$icon_src/genrelab.svg" "$ICONS/scalable/apps/genrelab.svg"
refresh
say "installed $entry (starts $exec_path) and $count PNG icons + the SVG under $ICONS"
