#!/usr/bin/env bash
# Checks the packages packaging/build.sh made in dist/ (make package-check runs
# the build first):
#   - the .deb: control fields, Depends covering every library the binary needs,
#     contents (binary, .desktop, icons, systemd unit, docs), no maintainer
#     scripts; installed into a throwaway root, the binary prints the version
#   - the .tar.xz: fyne's layout; its Makefile installs into a throwaway root
#   - the Windows .exe: a GUI PE32+, importing system DLLs only, whose
#     Authenticode signature verifies (osslsigncode verify -CAfile)
#   - SHA256SUMS: sha256sum -c
#   - lintian, when installed (reported, not fatal)
#   - CHECK_REPRO=1: links the Linux binary again in another directory and
#     compares the bytes
# Prints PASS/FAIL per check and exits 1 if any failed.
#
# Environment: as build.sh (PACKAGE_VERSION, PACKAGE_SRC, DIST, SIGN_CERT,
# SIGN_CAFILE), PACKAGE_CHECK_WINDOWS=0 to skip the exe, CHECK_REPRO=1.
set -uo pipefail

cd "$(dirname "$0")/.."
DIST=${DIST:-dist}
# the versions the last build used (HEAD may have moved since), else the current ones
if [[ -z "${PACKAGE_VERSION:-}" && -f "$DIST/.work/version.env" ]]; then
  source "$DIST/.work/version.env"
else
  eval "$(bash packaging/build.sh version)" || { echo "FAIL: packaging/build.sh version"; exit 1; }
fi
app_id=$(sed -n 's/^[[:space:]]*ID[[:space:]]*=[[:space:]]*"\(.*\)"/\1/p' FyneApp.toml | head -n1)

failures=0
pass() { printf 'PASS  %s\n' "$*"; }
fail() { printf 'FAIL  %s\n' "$*"; failures=$((failures + 1)); }
check() { # check DESCRIPTION COMMAND...: PASS if the command succeeds
  local what=$1; shift
  if "$@" >/dev/null 2>&1; then pass "$what"; else fail "$what"; fi
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

deb=$DIST/healthwallet_${deb_version}_amd64.deb
tarball=$DIST/healthwallet-$version-linux-amd64.tar.xz
exe=$DIST/healthwallet-$version-windows-amd64.exe
echo "== version $version (Debian $deb_version, Windows resource $win_version)"

# --- .deb --------------------------------------------------------------------
echo "== $deb"
if [[ ! -f "$deb" ]]; then
  fail "the .deb exists"
else
  pass "the .deb exists ($(du -h "$deb" | cut -f1))"
  dpkg-deb --info "$deb" >"$tmp/info" 2>&1
  field() { sed -n "s/^ $1: //p" "$tmp/info"; }
  [[ "$(field Package)" == healthwallet ]] && pass "Package: healthwallet" || fail "Package: healthwallet"
  [[ "$(field Version)" == "$deb_version" ]] && pass "Version: $deb_version" || fail "Version: $deb_version (got $(field Version))"
  [[ "$(field Architecture)" == amd64 ]] && pass "Architecture: amd64" || fail "Architecture: amd64"
  depends=$(field Depends)
  echo "      Depends: $depends"
  for p in libc6 libgl1 libegl1 libx11-6 libxcursor1 libxrandr2 libxinerama1 libxi6 libxxf86vm1 \
           libwayland-client0 libxkbcommon0; do
    grep -Eq "(^|, )$p( |,|$)" <<<"$depends" || fail "Depends names $p"
  done
  pass "Depends names the GL, X11, Wayland and C libraries"
  if dpkg-deb --ctrl-tarfile "$deb" | tar -t | grep -Eq '(pre|post)(inst|rm)$'; then
    fail "no maintainer scripts (the node's unit must not be enabled)"
  else
    pass "no maintainer scripts (the node's unit is not enabled)"
  fi
  dpkg-deb --contents "$deb" | awk '{print $NF}' | sed 's,^\./,/,' >"$tmp/contents"
  for f in /usr/bin/healthwallet /usr/share/applications/$app_id.desktop \
           /usr/share/icons/hicolor/32x32/apps/$app_id.png /usr/share/icons/hicolor/64x64/apps/$app_id.png \
           /usr/share/icons/hicolor/128x128/apps/$app_id.png /usr/share/icons/hicolor/256x256/apps/$app_id.png \
           /usr/share/icons/hicolor/512x512/apps/$app_id.png /usr/share/icons/hicolor/scalable/apps/$app_id.svg \
           /lib/systemd/system/healthwallet-node.service \
           /usr/share/doc/healthwallet/copyright /usr/share/doc/healthwallet/changelog.gz \
           /usr/share/man/man1/healthwallet.1.gz; do
    grep -qxF "$f" "$tmp/contents" && pass "contains $f" || fail "contains $f"
  done

  root=$tmp/root
  mkdir -p "$root"
  if dpkg -x "$deb" "$root"; then
    pass "dpkg -x into a throwaway root"
    got=$("$root/usr/bin/healthwallet" --version 2>&1)
    [[ "$got" == "healthwallet $version" ]] && pass "installed binary: $got" ||
      fail "installed binary --version prints 'healthwallet $version' (got '$got')"
    if ldd "$root/usr/bin/healthwallet" | grep -q 'not found'; then
      fail "ldd: every library found"; ldd "$root/usr/bin/healthwallet" | grep 'not found'
    else
      pass "ldd: every library found"
    fi
    # every NEEDED library's Debian package is in Depends
    missing=""
    for so in $(objdump -p "$root/usr/bin/healthwallet" | awk '$1 == "NEEDED" {print $2}'); do
      path=$(ldconfig -p | awk -v so="$so" '$1 == so && /x86-64/ {print $NF; exit}')
      pkg=$(dpkg -S "$(readlink -f "$path")" 2>/dev/null | head -n1 | cut -d: -f1)
      [[ -z "$pkg" ]] && pkg=$(dpkg -S "$path" 2>/dev/null | head -n1 | cut -d: -f1)
      if [[ -z "$pkg" ]]; then missing="$missing $so(no package)"
      elif ! grep -Eq "(^|, )$pkg( |,|$)" <<<"$depends"; then missing="$missing $so($pkg)"; fi
    done
    [[ -z "$missing" ]] && pass "Depends covers every NEEDED library (objdump -p)" ||
      fail "Depends covers every NEEDED library: missing$missing"
    grep -q '^ExecStart=/usr/bin/healthwallet node' "$root/lib/systemd/system/healthwallet-node.service" &&
      pass "the unit runs /usr/bin/healthwallet node" || fail "the unit runs /usr/bin/healthwallet node"
    if command -v desktop-file-validate >/dev/null; then
      check "desktop-file-validate" desktop-file-validate "$root/usr/share/applications/$app_id.desktop"
    fi
  else
    fail "dpkg -x into a throwaway root"
  fi
fi

# --- .tar.xz -----------------------------------------------------------------
echo "== $tarball"
if [[ ! -f "$tarball" ]]; then
  fail "the .tar.xz exists"
else
  pass "the .tar.xz exists ($(du -h "$tarball" | cut -f1))"
  tar -tJf "$tarball" >"$tmp/tarlist"
  for f in Makefile bin/healthwallet "applications/$app_id.desktop" "pixmaps/$app_id.png"; do
    grep -q "$f\$" "$tmp/tarlist" && pass "archive has .../$f" || fail "archive has .../$f"
  done
  mkdir -p "$tmp/tar" "$tmp/tarroot"
  tar -xJf "$tarball" -C "$tmp/tar"
  mk=$(find "$tmp/tar" -name Makefile | head -n1)
  if [[ -n "$mk" ]] && make -s -C "$(dirname "$mk")" install DESTDIR="$tmp/tarroot" PREFIX=/usr >/dev/null 2>&1 &&
     [[ "$("$tmp/tarroot/usr/bin/healthwallet" --version 2>&1)" == "healthwallet $version" ]]; then
    pass "its Makefile installs (DESTDIR, PREFIX=/usr); the binary prints $version"
  else
    fail "its Makefile installs (DESTDIR, PREFIX=/usr); the binary prints $version"
  fi
fi

# --- Windows -----------------------------------------------------------------
if [[ "${PACKAGE_CHECK_WINDOWS:-1}" == 1 ]]; then
  echo "== $exe"
  if [[ ! -f "$exe" ]]; then
    fail "the .exe exists"
  else
    pass "the .exe exists ($(du -h "$exe" | cut -f1))"
    desc=$(file -b "$exe")
    [[ "$desc" == *"PE32+ executable (GUI) x86-64"* ]] && pass "PE32+ GUI x86-64" || fail "PE32+ GUI x86-64 (file: $desc)"
    if command -v x86_64-w64-mingw32-objdump >/dev/null; then
      dlls=$(x86_64-w64-mingw32-objdump -p "$exe" | awk '/DLL Name:/ {print tolower($3)}' | sort -u | tr '\n' ' ')
      echo "      imports: $dlls"
      nonsys=$(tr ' ' '\n' <<<"$dlls" | grep -Ev '^$|^(kernel32|user32|gdi32|shell32|ole32|oleaut32|advapi32|ws2_32|winmm|opengl32|imm32|comdlg32|dwmapi|msvcrt|ntdll|winspool\.drv|comctl32|shlwapi|version|setupapi|crypt32|bcrypt|secur32|iphlpapi|dnsapi|mswsock|userenv|powrprof|uxtheme|api-ms-win-.*)\.dll$' | tr '\n' ' ')
      [[ -z "$nonsys" ]] && pass "imports Windows system DLLs only" || fail "imports Windows system DLLs only (also: $nonsys)"
    fi
    cafile=${SIGN_CAFILE:-${SIGN_CERT:-$DIST/.work/sign/test-cert.pem}}
    if osslsigncode verify -CAfile "$cafile" -in "$exe" >"$tmp/verify" 2>&1; then
      pass "osslsigncode verify -CAfile $cafile"
      grep -E '^\s*(Subject|Message digest algorithm)' "$tmp/verify" | head -n3 | sed 's/^\s*/      /'
      grep -q 'TEST SIGNATURE' "$tmp/verify" && echo "      NOTE: signed with the throwaway TEST certificate"
    else
      fail "osslsigncode verify -CAfile $cafile"; cat "$tmp/verify"
    fi
    grep -aqF "$version" "$exe" && pass "the exe carries the version string $version (-X main.version)" ||
      fail "the exe carries the version string $version (-X main.version)"
    strings -el "$exe" | grep -qxF "$win_version" && pass "version resource: FileVersion $win_version" ||
      fail "version resource: FileVersion $win_version"
  fi
fi

# --- checksums ---------------------------------------------------------------
echo "== $DIST/SHA256SUMS"
if [[ -f "$DIST/SHA256SUMS" ]]; then
  for f in "$deb" "$tarball" $([[ "${PACKAGE_CHECK_WINDOWS:-1}" == 1 ]] && echo "$exe"); do
    grep -q " $(basename "$f")\$" "$DIST/SHA256SUMS" && pass "SHA256SUMS lists $(basename "$f")" ||
      fail "SHA256SUMS lists $(basename "$f")"
  done
  (cd "$DIST" && sha256sum -c SHA256SUMS) >"$tmp/sums" 2>&1 && pass "sha256sum -c SHA256SUMS" ||
    { fail "sha256sum -c SHA256SUMS"; cat "$tmp/sums"; }
else
  fail "SHA256SUMS exists"
fi

# --- lintian (advisory) ------------------------------------------------------
if [[ -f "$deb" ]] && command -v lintian >/dev/null; then
  echo "== lintian (advisory)"
  lintian --tag-display-limit 0 "$deb" 2>&1 | sed 's/^/      /'
  n=$(lintian "$deb" 2>/dev/null | grep -c '^E:')
  echo "      lintian: $n error(s)"
fi

# --- reproducibility (optional) ----------------------------------------------
if [[ "${CHECK_REPRO:-0}" == 1 && -f "$deb" ]]; then
  echo "== reproducibility: the Linux binary built again in another directory"
  a=$tmp/root/usr/bin/healthwallet
  mkdir -p "$tmp/repro"
  # the same source (a copy of the last build's snapshot) and version, another directory
  snap=$(realpath "$DIST/.work/src")
  if DIST="$tmp/repro/dist" PACKAGE_SRC="dir:$snap" PACKAGE_VERSION="$version" \
       bash packaging/build.sh binary "$tmp/repro/healthwallet" >"$tmp/repro.log" 2>&1 &&
     cmp -s "$a" "$tmp/repro/healthwallet"; then
    pass "same bytes ($(sha256sum "$a" | cut -c1-16)...)"
  else
    fail "same bytes: $(sha256sum "$a" "$tmp/repro/healthwallet" 2>&1 | cut -c1-16 | tr '\n' ' ')"
    tail -n 5 "$tmp/repro.log"
  fi
fi

echo
if ((failures)); then
  echo "package-check: $failures check(s) FAILED"
  exit 1
fi
echo "package-check: all checks passed"
