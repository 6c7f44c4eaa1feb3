#!/usr/bin/env bash
# Installs the Debian packages Health Wallet needs to build and test, and
# only those that are missing, so a machine that has them is left alone.
#
#   packaging/install-deps.sh              build and test (cgo: Fyne's OpenGL/X11/Wayland headers, SQLite)
#   packaging/install-deps.sh gui          also Xvfb and screenshot tools (make screenshots)
#   packaging/install-deps.sh package      also the release tools: the .deb, the Windows
#                                          cross-build, Authenticode signing (make package)
#   packaging/install-deps.sh package lint also lintian and desktop-file-validate
#
# Several sets may be named at once.
set -euo pipefail

# Fyne 2.8 on Linux (GLFW with X11 and Wayland backends) and mattn/go-sqlite3.
build=(gcc libc6-dev pkg-config make libgl-dev libegl-dev libx11-dev libxcursor-dev
       libxrandr-dev libxinerama-dev libxi-dev libxxf86vm-dev libwayland-dev libxkbcommon-dev)
gui=(xvfb xdotool imagemagick x11-apps xauth libgl1-mesa-dri)

# dpkg-dev fakeroot (the .deb), gcc-mingw-w64-x86-64 (the Windows cross-build
# with cgo), osslsigncode openssl (Authenticode signing and its verification).
package=(dpkg-dev fakeroot gcc-mingw-w64-x86-64 osslsigncode openssl xz-utils)
lint=(lintian desktop-file-utils)

want=("${build[@]}")
for set in "$@"; do
  case "$set" in
    gui) want+=("${gui[@]}") ;;
    package) want+=("${package[@]}") ;;
    lint) want+=("${lint[@]}") ;;
    *) echo "install-deps: unknown set $set (gui, package, lint)" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${want[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} == 0)); then
  exit 0
fi

if ! command -v apt-get >/dev/null; then
  echo "install-deps: missing packages ${missing[*]} and no apt-get here; install their equivalents by hand" >&2
  exit 1
fi
sudo=""
if [[ $(id -u) -ne 0 ]]; then
  sudo="sudo"
fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
