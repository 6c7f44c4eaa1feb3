# Release packaging (issue 8), included by the Makefile. See packaging/README.md.
#
#   make package          Linux .tar.xz and .deb, signed Windows .exe, SHA256SUMS in dist/
#   make package-linux    the Linux ones only (then SHA256SUMS)
#   make package-windows  the Windows one only (then SHA256SUMS)
#   make package-check    builds, then inspects, installs into a throwaway root,
#                         verifies the signature and the checksums
#
# Variables (make VAR=... or the environment):
#   SIGN_CERT, SIGN_KEY   PEM code-signing certificate and key for the Windows exe;
#                         without them a throwaway test certificate is used (loudly)
#   SIGN_PASS, SIGN_CAFILE, SIGN_TIMESTAMP   key passphrase, CA bundle, RFC 3161 server
#   PACKAGE_VERSION       override the version (default: git describe --tags --always --dirty)
#   PACKAGE_SRC           worktree (default) or head: build the last commit only
#   PACKAGE_CHECK_WINDOWS 0 to leave the Windows build out of package-check

PACKAGE_ENV = GO='$(GO)' \
	SIGN_CERT='$(SIGN_CERT)' SIGN_KEY='$(SIGN_KEY)' SIGN_PASS='$(SIGN_PASS)' \
	SIGN_CAFILE='$(SIGN_CAFILE)' SIGN_TIMESTAMP='$(SIGN_TIMESTAMP)' \
	PACKAGE_VERSION='$(PACKAGE_VERSION)' PACKAGE_SRC='$(PACKAGE_SRC)'
PACKAGE_CHECK_WINDOWS ?= 1

.PHONY: package package-deps package-linux package-windows package-check

package-deps: deps
	@GO='$(GO)' bash packaging/install-package-deps.sh

package: package-deps
	@$(PACKAGE_ENV) bash packaging/build.sh linux windows sums

package-linux: package-deps
	@$(PACKAGE_ENV) bash packaging/build.sh linux sums

package-windows: package-deps
	@$(PACKAGE_ENV) bash packaging/build.sh windows sums

package-check: package-deps
	@$(PACKAGE_ENV) bash packaging/build.sh linux $(if $(filter 1,$(PACKAGE_CHECK_WINDOWS)),windows) sums
	@$(PACKAGE_ENV) PACKAGE_CHECK_WINDOWS='$(PACKAGE_CHECK_WINDOWS)' bash packaging/check.sh
