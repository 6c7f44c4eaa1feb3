#!/usr/bin/env bash
# Installs what `make package` needs beyond the build dependencies
# (packaging/install-deps.sh), and only what is missing, so a machine that has
# it all is left alone:
#
#   Debian packages  dpkg-dev fakeroot (the .deb), gcc-mingw-w64-x86-64 (the
#                    Windows cross-build with cgo), osslsigncode openssl
#                    (Authenticode signing and its verification), xz-utils
#   the fyne CLI     fyne.io/tools/cmd/fyne@$FYNE_TOOLS_VERSION, from the Go
#                    module proxy into $(go env GOPATH)/bin
#
#   packaging/install-package-deps.sh          install what is missing
#   packaging/install-package-deps.sh lint     also lintian and desktop-file-validate (make package-check uses them if present)
#
# Prints nothing when everything is already there.
set -euo pipefail

FYNE_TOOLS_VERSION=${FYNE_TOOLS_VERSION:-v1.7.4}
GO=${GO:-go}

want=(dpkg-dev fakeroot gcc-mingw-w64-x86-64 osslsigncode openssl xz-utils)
if [[ "${1:-}" == lint ]]; then
  want+=(lintian desktop-file-utils)
fi

missing=()
for p in "${want[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} > 0)); then
  if ! command -v apt-get >/dev/null; then
    echo "install-package-deps: missing packages ${missing[*]} and no apt-get here; install their equivalents by hand" >&2
    exit 1
  fi
  sudo=""
  if [[ $(id -u) -ne 0 ]]; then
    sudo="sudo"
  fi
  echo "install-package-deps: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The fyne CLI, pinned, used by absolute path (a `fyne` elsewhere on PATH may be
# another version, or the unrelated v1 tool).
gobin=$($GO env GOBIN)
if [[ -z "$gobin" ]]; then
  gobin=$($GO env GOPATH)/bin
fi
fyne="$gobin/fyne"
have=""
if [[ -x "$fyne" ]]; then
  have=$($GO version -m "$fyne" 2>/dev/null | awk '$1 == "mod" && $2 == "fyne.io/tools" {print $3}')
fi
if [[ "$have" != "$FYNE_TOOLS_VERSION" ]]; then
  echo "install-package-deps: installing the fyne CLI $FYNE_TOOLS_VERSION into $gobin" >&2
  GOBIN="$gobin" nice -n 10 $GO install "fyne.io/tools/cmd/fyne@$FYNE_TOOLS_VERSION"
fi
