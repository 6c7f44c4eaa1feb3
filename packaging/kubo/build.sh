#!/usr/bin/env bash
# Builds kubo (the reference IPFS implementation) for the interop tests and
# prints the path of the binary on stdout (progress goes to stderr).
#
#   packaging/kubo/build.sh            build once, reuse afterwards
#   HEALTHWALLET_KUBO_DIR=dir ...      where to keep it (default below)
#
# kubo v0.40–v0.43 refuse `go install pkg@version` (their go.mod has replace
# and exclude directives), and v0.39 and older do not compile under Go 1.26.
# So kubo is built as a dependency of a throwaway module, where those
# directives do not apply. The throwaway module's go.mod/go.sum are pinned in
# this directory (kubotool.mod, kubotool.sum), so every machine builds the same
# dependency graph, checked against the pinned checksums. Cold: ~4 min on
# 2 cores, ~120 MB of binary; warm (binary present, right version): instant.
set -euo pipefail

KUBO_VERSION=v0.42.0
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=${XDG_CACHE_HOME:-$HOME/.cache}
dir=${HEALTHWALLET_KUBO_DIR:-$cache/healthwallet/kubo-$KUBO_VERSION}
bin=$dir/ipfs
want=${KUBO_VERSION#v}

have_version() {
  [[ -x $bin ]] || return 1
  local v
  v=$(IPFS_TELEMETRY=off "$bin" version --number 2>/dev/null) || return 1
  [[ $v == "$want" ]]
}

if have_version; then
  echo "$bin"
  exit 0
fi

mkdir -p "$dir"
# One build at a time per directory; a second caller waits and then reuses it.
exec 9>"$dir/.lock"
flock 9
if have_version; then
  echo "$bin"
  exit 0
fi

work=$(mktemp -d "$dir/build.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"

export GOWORK=off GOFLAGS=-mod=mod GOTOOLCHAIN=local CGO_ENABLED=0
start=$(date +%s)
if [[ -f $here/kubotool.mod && -f $here/kubotool.sum ]]; then
  cp "$here/kubotool.mod" go.mod
  cp "$here/kubotool.sum" go.sum
  echo "kubo: building $KUBO_VERSION from the pinned module graph in $dir (a few minutes)" >&2
  # -mod=readonly: the pinned go.mod/go.sum must be complete; nothing is re-resolved.
  GOFLAGS=-mod=readonly go build -trimpath -o ipfs.new github.com/ipfs/kubo/cmd/ipfs
else
  echo "kubo: resolving and building $KUBO_VERSION in $dir (a few minutes)" >&2
  go mod init kubotool >/dev/null 2>&1
  go get "github.com/ipfs/kubo/cmd/ipfs@$KUBO_VERSION" >&2
  go build -trimpath -o ipfs.new github.com/ipfs/kubo/cmd/ipfs
  cp go.mod "$dir/kubotool.mod"
  cp go.sum "$dir/kubotool.sum"
fi
got=$(IPFS_TELEMETRY=off ./ipfs.new version --number)
if [[ $got != "$want" ]]; then
  echo "kubo: built binary reports version $got, want $want" >&2
  exit 1
fi
mv -f ipfs.new "$bin"
echo "kubo: built in $(( $(date +%s) - start )) s, $(du -h "$bin" | cut -f1)" >&2
echo "$bin"
