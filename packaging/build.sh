#!/usr/bin/env bash
# Builds Health Wallet's desktop packages into dist/ (see packaging/README.md).
#
#   packaging/build.sh [all|linux|windows|sums|version]...
#
#   linux    dist/healthwallet-VERSION-linux-amd64.tar.xz  (fyne package -os linux)
#            dist/healthwallet_DEBVERSION_amd64.deb          (dpkg-deb)
#   windows  dist/healthwallet-VERSION-windows-amd64.exe     (mingw-w64, fyne package -os windows,
#                                                             Authenticode-signed with osslsigncode)
#   sums     dist/SHA256SUMS over every artefact in dist/
#   version  prints VERSION, DEBVERSION and the Windows file version
#   binary OUT  only the Linux binary, into OUT (check.sh's reproducibility check)
#   all      linux windows sums (the default)
#
# Environment (packaging/package.mk passes its make variables through):
#   PACKAGE_VERSION  the version; default `git describe --tags --always --dirty`
#                    (a leading "v" dropped; -dirty also for untracked files),
#                    else FyneApp.toml's Version
#   PACKAGE_SRC      worktree (default: the files as they are, tracked and
#                    untracked-but-not-ignored), head (the last commit only),
#                    or dir:PATH (a copy of PATH, e.g. an earlier dist/.work/src)
#   SIGN_CERT        PEM code-signing certificate (chain) for the Windows exe
#   SIGN_KEY         its PEM private key; with neither, a throwaway self-signed
#                    certificate is made and the build says it is a test signature
#   SIGN_PASS        the key's passphrase, if it has one
#   SIGN_CAFILE      CA bundle that verifies SIGN_CERT (default: SIGN_CERT itself)
#   SIGN_TIMESTAMP   RFC 3161 timestamp server URL (optional; needs the internet)
#   DIST             output directory (default dist)
#   GO, FYNE         the go and fyne commands (default go, $(go env GOPATH)/bin/fyne)
set -euo pipefail

cd "$(dirname "$0")/.."
root=$PWD
GO=${GO:-go}
DIST=${DIST:-dist}
mkdir -p "$DIST"
DIST=$(cd "$DIST" && pwd)
work=$DIST/.work
PACKAGE_SRC=${PACKAGE_SRC:-worktree}

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'build.sh: %s\n' "$*" >&2; exit 1; }

# --- metadata from FyneApp.toml ---------------------------------------------
toml() { # toml KEY: the first `KEY = value` in FyneApp.toml, unquoted
  sed -n "s/^[[:space:]]*$1[[:space:]]*=[[:space:]]*\"\{0,1\}\([^\"]*\)\"\{0,1\}[[:space:]]*$/\1/p" FyneApp.toml | head -n1
}
app_name=$(toml Name)             # Health Wallet
app_id=$(toml ID)                 # org.healthwallet.desktop
app_version=$(toml Version)       # 0.1.0
app_build=$(toml Build)           # 1
app_website=$(toml Website)
app_comment=$(toml Comment)
[[ -n "$app_id" && -n "$app_version" ]] || die "FyneApp.toml: no ID or Version"

# --- versions ----------------------------------------------------------------
# version      what `healthwallet --version` prints and file names carry
# deb_version  the Debian version (must start with a digit, sort sensibly):
#                v0.1.0                 -> 0.1.0
#                v0.1.0-5-gabc1234      -> 0.1.0+git5.gabc1234   (5 commits after the tag)
#                abc1234 (no tag yet)   -> 0.1.0~git108.gabc1234 (FyneApp.toml's Version,
#                                          108 commits: sorts before the 0.1.0 release)
#                ...-dirty              -> ... .dirty (uncommitted changes; never ship one)
#                v1.0.0-rc1             -> 1.0.0~rc1
# win_version  numeric x.y.z for the Windows version resource, win_build its 4th field
compute_versions() {
  local raw=${PACKAGE_VERSION:-} dirty_flag=--dirty
  [[ "$PACKAGE_SRC" == head ]] && dirty_flag=
  if [[ -z "$raw" ]]; then
    raw=$(git describe --tags --always $dirty_flag 2>/dev/null || true)
    # the snapshot also takes untracked (not ignored) files, which --dirty ignores
    if [[ -n "$raw" && -n "$dirty_flag" && "$raw" != *-dirty ]] &&
       [[ -n "$(git ls-files -o --exclude-standard 2>/dev/null | head -n1)" ]]; then
      raw=$raw-dirty
    fi
  fi
  [[ -n "$raw" ]] || raw=$app_version
  raw=${raw#v}
  version=$(printf '%s' "$raw" | tr -c 'A-Za-z0-9.+~_-' '_')

  local v=$version dirty="" base suffix="" count
  if [[ "$v" == *-dirty ]]; then dirty=.dirty; v=${v%-dirty}; fi
  if [[ "$v" =~ ^(.+)-([0-9]+)-g([0-9a-f]+)$ ]]; then
    base=${BASH_REMATCH[1]}; suffix="+git${BASH_REMATCH[2]}.g${BASH_REMATCH[3]}"
    win_build=${BASH_REMATCH[2]}
  elif [[ "$v" =~ ^[0-9a-f]{7,40}$ ]]; then
    count=$(git rev-list --count HEAD 2>/dev/null || echo 0)
    base=$app_version; suffix="~git${count}.g${v}"
    win_build=$count
  else
    base=$v; win_build=$app_build
  fi
  base=$(printf '%s' "$base" | tr '_-' '.~')
  [[ "$base" =~ ^[0-9] ]] || base="0~$base"
  if [[ -n "$dirty" && -z "$suffix" ]]; then dirty=+dirty; fi
  deb_version="$base$suffix$dirty"
  if [[ "$base" =~ ^([0-9]+(\.[0-9]+){0,2}) ]]; then
    win_version=${BASH_REMATCH[1]}
  else
    win_version=$app_version
  fi
  [[ "$win_build" =~ ^[0-9]+$ ]] && ((win_build > 0 && win_build < 65536)) || win_build=${app_build:-1}
}
compute_versions

# Fixed timestamps for archive members: the last commit's time.
SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 0)}
export SOURCE_DATE_EPOCH

fyne_cmd() {
  if [[ -n "${FYNE:-}" ]]; then echo "$FYNE"; return; fi
  local gobin
  gobin=$($GO env GOBIN)
  [[ -n "$gobin" ]] || gobin=$($GO env GOPATH)/bin
  [[ -x "$gobin/fyne" ]] || die "no fyne CLI at $gobin/fyne: run packaging/install-package-deps.sh"
  echo "$gobin/fyne"
}

# --- source snapshot ---------------------------------------------------------
# Build from a copy, so that fyne's generated files (fyne.syso, metadata init)
# never land in the work tree and edits made meanwhile do not mix into a build.
src=$work/src
snapshot() {
  [[ -n "${snapshot_done:-}" ]] && return
  rm -rf "$src"
  mkdir -p "$src"
  if [[ "$PACKAGE_SRC" == head ]]; then
    git archive --format=tar HEAD | tar -x -C "$src"
  elif [[ "$PACKAGE_SRC" == dir:* ]]; then # a copy of an earlier snapshot (check.sh)
    local from=${PACKAGE_SRC#dir:}
    [[ -n "$from" && -f "$from/go.mod" && -d "$from/cmd/healthwallet" ]] ||
      die "PACKAGE_SRC=dir:PATH: $from is not a Health Wallet source tree"
    cp -a "$from/." "$src/"
    rm -f "$src"/cmd/healthwallet/{fyne_metadata_init.go,fyne.syso,FyneApp.toml} "$src"/cmd/healthwallet/*.exe
  elif ! git rev-parse --is-inside-work-tree >/dev/null 2>&1; then # a source tarball
    tar --exclude=./dist --exclude=./bin --exclude=./.git -cf - . | tar -x -C "$src"
  else
    git ls-files -z -co --exclude-standard |
      tar --null -T - --ignore-failed-read -cf - 2>/dev/null | tar -x -C "$src"
  fi
  snapshot_done=1
}

# Fyne's release build flags (fyne package --release), so that the Linux binary
# built here matches what fyne builds for Windows.
linux_env=(CGO_ENABLED=1 GOOS=linux GOARCH=amd64
  "CGO_CFLAGS=${CGO_CFLAGS:--O3 -pipe -D_FORTIFY_SOURCE=3 -fcf-protection -fstack-protector-strong}"
  "CGO_LDFLAGS=${CGO_LDFLAGS:--Wl,-z,relro,-z,now -Wl,--as-needed}")
goflags=(-trimpath -buildvcs=false -tags release)
ldflags="-s -w -X main.version=$version"

build_linux_binary() { # build_linux_binary OUT
  snapshot
  say "go build linux/amd64 (version $version)"
  (cd "$src" && env "${linux_env[@]}" nice -n 10 "$GO" build "${goflags[@]}" -buildmode=pie \
    -ldflags "$ldflags" -o "$1" ./cmd/healthwallet)
}

# Runtime libraries the binary loads with dlopen (GLFW's X11, Wayland and EGL
# back ends), which objdump's NEEDED list does not show.
dlopen_depends="libgl1, libegl1, libx11-6, libxcursor1, libxrandr2, libxinerama1, libxi6, libxxf86vm1, libxext6, libxrender1, libx11-xcb1, libwayland-client0, libwayland-cursor0, libwayland-egl1, libxkbcommon0"

deb_depends() { # deb_depends BINARY: dpkg-shlibdeps over NEEDED, plus the dlopen'd libraries
  local bin=$1 tmp shlibs
  tmp=$(mktemp -d)
  mkdir -p "$tmp/debian"
  printf 'Source: healthwallet\n\nPackage: healthwallet\nArchitecture: amd64\n' >"$tmp/debian/control"
  cp "$bin" "$tmp/healthwallet"
  shlibs=$(cd "$tmp" && dpkg-shlibdeps -O -e healthwallet 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
  rm -rf "$tmp"
  [[ -n "$shlibs" ]] || die "dpkg-shlibdeps found no dependencies for $bin"
  # merge, dropping dlopen entries already named by shlibdeps
  local out=$shlibs p
  IFS=',' read -ra extra <<<"$dlopen_depends"
  for p in "${extra[@]}"; do
    p=${p// /}
    grep -Eq "(^|, )$p( |,|$)" <<<"$out" || out="$out, $p"
  done
  echo "$out"
}

package_linux() {
  local fyne lbin stage tarball deb
  fyne=$(fyne_cmd)
  mkdir -p "$work/linux"
  lbin=$work/linux/healthwallet
  build_linux_binary "$lbin"
  "$lbin" --version | grep -qxF "healthwallet $version" || die "the binary does not print version $version"

  # 1. fyne package -os linux: .tar.xz with the binary, the .desktop entry
  #    (FyneApp.toml's metadata), the icon and an install Makefile.
  say "fyne package -os linux"
  rm -rf "$work/fyne-linux"
  mkdir -p "$work/fyne-linux"
  cp "$root/FyneApp.toml" "$src/cmd/healthwallet/FyneApp.toml"
  (cd "$src/cmd/healthwallet" && "$fyne" package -os linux --release --exe "$lbin" \
      --icon "$src/assets/icon.png" --app-version "$win_version" --app-build "$win_build")
  tarball=$(ls "$src/cmd/healthwallet/"*.tar.xz 2>/dev/null | head -n1)
  [[ -f "$tarball" ]] || die "fyne package -os linux made no .tar.xz"
  # Repack with fixed owners, order and times so that the archive is reproducible.
  tar -xJf "$tarball" -C "$work/fyne-linux"
  rm -f "$tarball"
  tar --sort=name --mtime="@$SOURCE_DATE_EPOCH" --owner=0 --group=0 --numeric-owner \
      -C "$work/fyne-linux" -cf - . | xz -6 -T1 >"$DIST/healthwallet-$version-linux-amd64.tar.xz"
  say "$DIST/healthwallet-$version-linux-amd64.tar.xz"

  # 2. the Debian package
  say "dpkg-deb healthwallet $deb_version"
  stage=$work/deb/healthwallet
  rm -rf "$work/deb"
  mkdir -p "$stage/DEBIAN" "$stage/usr/bin" "$stage/usr/share/applications" \
           "$stage/lib/systemd/system" "$stage/usr/share/doc/healthwallet"
  install -m 0755 "$lbin" "$stage/usr/bin/healthwallet"
  local desktop
  desktop=$(find "$work/fyne-linux" -name '*.desktop' | head -n1)
  [[ -f "$desktop" ]] || die "no .desktop entry in fyne's archive"
  install -m 0644 "$desktop" "$stage/usr/share/applications/$app_id.desktop"
  local size
  for size in 32 64 128 256; do
    install -D -m 0644 "$src/assets/icon-$size.png" "$stage/usr/share/icons/hicolor/${size}x${size}/apps/$app_id.png"
  done
  install -D -m 0644 "$src/assets/icon.png" "$stage/usr/share/icons/hicolor/512x512/apps/$app_id.png"
  install -D -m 0644 "$src/assets/icon.svg" "$stage/usr/share/icons/hicolor/scalable/apps/$app_id.svg"
  # The clinic node's unit, shipped but not enabled (no maintainer scripts);
  # the package puts the binary in /usr/bin.
  sed 's,/usr/local/bin/healthwallet,/usr/bin/healthwallet,g' \
      "$src/packaging/clinic-node/healthwallet-node.service" >"$stage/lib/systemd/system/healthwallet-node.service"
  chmod 0644 "$stage/lib/systemd/system/healthwallet-node.service"
  local doc=$stage/usr/share/doc/healthwallet
  install -m 0644 "$root/packaging/deb/copyright" "$doc/copyright"
  install -m 0644 "$root/packaging/deb/README.Debian" "$doc/README.Debian"
  install -m 0644 "$src/packaging/clinic-node/OPERATIONS.md" "$doc/OPERATIONS.md"
  local date_rfc
  date_rfc=$(date -u -R -d "@$SOURCE_DATE_EPOCH")
  sed -e "s/@VERSION@/$deb_version/" -e "s/@DATE@/$date_rfc/" -e "s/@GITVERSION@/$version/" \
      "$root/packaging/deb/changelog.in" | gzip -9n >"$doc/changelog.gz"
  chmod 0644 "$doc/changelog.gz"

  # A manual page from --help (lintian wants one for every command), with the
  # builder's home directory replaced by ~ in the defaults it prints.
  local man=$stage/usr/share/man/man1 mandate
  mandate=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%d)
  mkdir -p "$man"
  {
    printf '.TH HEALTHWALLET 1 "%s" "healthwallet %s" "User Commands"\n' "$mandate" "$version"
    printf '.SH NAME\nhealthwallet \\- %s\n' "$(tr 'A-Z' 'a-z' <<<"${app_comment:0:1}")${app_comment:1}"
    printf '.SH SYNOPSIS\n.B healthwallet\n[\\fIflags\\fR] [\\fIcommand\\fR] [\\fIcommand flags\\fR]\n'
    printf '.SH DESCRIPTION\nWith no command, opens the desktop application.\n.PP\n.nf\n'
    (HOME=/hw-home XDG_DATA_HOME='' XDG_CONFIG_HOME='' "$lbin" --help 2>&1 || true) |
      sed -e 's,/hw-home,~,g' -e 's/\\/\\e/g' -e "s/^[.']/\\\\\&&/"
    printf '.fi\n.SH FILES\n.TP\n/lib/systemd/system/healthwallet-node.service\n'
    printf 'the clinic node'"'"'s unit, not enabled by the package\n'
    printf '.SH SEE ALSO\n/usr/share/doc/healthwallet/README.Debian, /usr/share/doc/healthwallet/OPERATIONS.md\n'
  } | gzip -9n >"$man/healthwallet.1.gz"
  chmod 0644 "$man/healthwallet.1.gz"

  local depends installed
  depends=$(deb_depends "$lbin")
  installed=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
  sed -e "s/@VERSION@/$deb_version/" -e "s/@DEPENDS@/$depends/" -e "s/@SIZE@/$installed/" \
      -e "s,@HOMEPAGE@,$app_website," "$root/packaging/deb/control.in" >"$stage/DEBIAN/control"
  (cd "$stage" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z |
      xargs -0 md5sum >DEBIAN/md5sums)
  chmod 0644 "$stage/DEBIAN/control" "$stage/DEBIAN/md5sums"
  find "$stage" -type d -exec chmod 0755 {} +
  find "$stage" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
  deb=$DIST/healthwallet_${deb_version}_amd64.deb
  rm -f "$DIST"/healthwallet_*_amd64.deb.tmp
  dpkg-deb --root-owner-group -Zxz --build "$stage" "$deb" >/dev/null
  say "$deb"
}

# --- Windows -----------------------------------------------------------------
sign_exe() { # sign_exe IN OUT
  local in=$1 out=$2 cert key cafile pass=() ts=()
  cert=${SIGN_CERT:-}; key=${SIGN_KEY:-}
  if [[ -z "$cert" && -z "$key" ]]; then
    cert=$work/sign/test-cert.pem; key=$work/sign/test-key.pem
    mkdir -p "$work/sign"
    if [[ ! -f "$cert" || ! -f "$key" ]]; then
      openssl req -x509 -newkey rsa:3072 -nodes -sha256 -days 30 \
        -subj "/CN=$app_name TEST SIGNATURE (not trusted)/O=$app_name" \
        -addext "extendedKeyUsage=codeSigning" -addext "keyUsage=critical,digitalSignature" \
        -keyout "$key" -out "$cert" 2>/dev/null
    fi
    cafile=$cert
    cat >&2 <<EOF

  ************************************************************************
  *  TEST SIGNATURE: no SIGN_CERT/SIGN_KEY given, so the Windows exe is  *
  *  signed with a throwaway self-signed certificate. Windows will not   *
  *  trust it. Do not distribute this exe to clinics.                    *
  ************************************************************************

EOF
  else
    [[ -f "$cert" && -f "$key" ]] || die "SIGN_CERT and SIGN_KEY must both name PEM files"
    cafile=${SIGN_CAFILE:-$cert}
  fi
  [[ -n "${SIGN_PASS:-}" ]] && pass=(-pass "$SIGN_PASS")
  [[ -n "${SIGN_TIMESTAMP:-}" ]] && ts=(-ts "$SIGN_TIMESTAMP")
  rm -f "$out"
  osslsigncode sign -certs "$cert" -key "$key" "${pass[@]}" "${ts[@]}" -h sha256 \
    -n "$app_name" -i "$app_website" -in "$in" -out "$out" >/dev/null
  say "osslsigncode verify"
  if ! osslsigncode verify -CAfile "$cafile" -in "$out" >"$work/windows/verify.log" 2>&1; then
    cat "$work/windows/verify.log" >&2
    rm -f "$out"
    die "the Windows signature does not verify"
  fi
  grep -E 'Signature verification: ok|Succeeded' "$work/windows/verify.log" >&2 || true
}

package_windows() {
  local fyne wsrc exe
  fyne=$(fyne_cmd)
  command -v x86_64-w64-mingw32-gcc >/dev/null || die "no x86_64-w64-mingw32-gcc: run packaging/install-package-deps.sh"
  snapshot
  mkdir -p "$work/windows"
  wsrc=$src/cmd/healthwallet
  cp "$root/FyneApp.toml" "$wsrc/FyneApp.toml"
  rm -f "$wsrc"/*.exe
  # Name an (empty) existing executable: fyne then skips its first build and
  # builds once, after writing the resource. (Its first build would consume
  # GOFLAGS' -ldflags, so that the second, final one lost the version stamp.)
  : >"$wsrc/healthwallet.exe"
  # fyne package -os windows writes the icon, manifest and version resource
  # (FyneApp.toml's Name and ID; version win_version.win_build) into a .syso
  # and builds with -H=windowsgui; --release adds -trimpath, -s -w, -tags
  # release. The version string reaches -ldflags through GOFLAGS.
  say "fyne package -os windows (mingw-w64, version $version, resource $win_version.$win_build)"
  (cd "$wsrc" && env CGO_ENABLED=1 CC=x86_64-w64-mingw32-gcc CXX=x86_64-w64-mingw32-g++ GOOS=windows GOARCH=amd64 \
      GOFLAGS="-buildvcs=false -ldflags=-X=main.version=$version" \
      nice -n 10 "$fyne" package -os windows --release --exe healthwallet.exe --icon "$src/assets/icon.png" \
      --app-version "$win_version" --app-build "$win_build")
  exe=$(ls "$wsrc"/*.exe 2>/dev/null | head -n1)
  [[ -f "$exe" ]] || die "fyne package -os windows made no .exe"
  mv "$exe" "$work/windows/unsigned.exe"
  grep -aqF "$version" "$work/windows/unsigned.exe" || die "the exe does not carry version $version"
  sign_exe "$work/windows/unsigned.exe" "$DIST/healthwallet-$version-windows-amd64.exe"
  say "$DIST/healthwallet-$version-windows-amd64.exe"
}

sums() { # over this version's artefacts (older versions' files in dist/ are left out)
  local files
  files=$(cd "$DIST" && find . -maxdepth 1 -type f \( -name "healthwallet-$version-*" -o \
      -name "healthwallet_${deb_version}_*" \) -printf '%P\n' | LC_ALL=C sort)
  [[ -n "$files" ]] || die "no artefacts of version $version in $DIST"
  (cd "$DIST" && xargs -d '\n' sha256sum <<<"$files" >SHA256SUMS)
  [[ -s "$DIST/SHA256SUMS" ]] || die "no artefacts of version $version in $DIST"
  say "$DIST/SHA256SUMS"
  cat "$DIST/SHA256SUMS" >&2
}

# The versions of the last build, for check.sh (HEAD may move meanwhile).
record_version() {
  mkdir -p "$work"
  main version >"$work/version.env"
}

main() {
  local targets=("$@") t
  ((${#targets[@]})) || targets=(all)
  for t in "${targets[@]}"; do
    case "$t" in
      version) printf 'version=%s\ndeb_version=%s\nwin_version=%s.%s\n' "$version" "$deb_version" "$win_version" "$win_build" ;;
      linux) record_version; package_linux ;;
      binary) build_linux_binary "$(realpath -m "${2:?binary OUT}")"; return ;;
      windows) record_version; package_windows ;;
      sums) sums ;;
      all) record_version; package_linux; package_windows; sums ;;
      *) die "unknown target $t (all, linux, windows, sums, version)" ;;
    esac
  done
}

# (bash reads a script as it runs it: everything above is parsed before main runs,
# so editing this file during a build does not break that build)
main "$@"; exit
