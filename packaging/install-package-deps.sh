#!/usr/bin/env bash
# Installs what `make package` needs beyond the build dependencies, and only
# what is missing, so a machine that has it all is left alone:
#
#   Debian packages  install-deps.sh's "package" set (and "lint")
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

here=$(cd "$(dirname "$0")" && pwd)
sets=(package)
if [[ "${1:-}" == lint ]]; then
  sets+=(lint)
fi
bash "$here/install-deps.sh" "${sets[@]}"

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
