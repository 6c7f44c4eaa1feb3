package wallet

import (
	"fmt"

	"github.com/trustelem/zxcvbn"
	"golang.org/x/text/unicode/norm"
)

// normalizePassphrase puts a passphrase in Unicode NFC before it reaches the
// key derivation: the same words typed on macOS (which composes some
// characters differently) and on Windows or Linux must open the same
// keystore. Bytes that are not UTF-8 pass through unchanged.
func normalizePassphrase(p []byte) []byte { return norm.NFC.Bytes(p) }

// PassphraseStrength rates a passphrase as zxcvbn does (0 too guessable …
// 4 very unguessable) and says in a sentence what would make it stronger.
// It is a hint for the person choosing one; Create and Restore only
// enforce MinPassphraseLen.
func PassphraseStrength(p string) (score int, hint string) {
	if len(p) < MinPassphraseLen {
		return 0, fmt.Sprintf("Too short: use at least %d characters.", MinPassphraseLen)
	}
	r := zxcvbn.PasswordStrength(p, []string{"health", "wallet", "healthwallet"})
	switch r.Score {
	case 0, 1:
		return r.Score, "Easy to guess. Add a few unrelated words."
	case 2:
		return r.Score, "Fair. One or two more words would make it strong."
	case 3:
		return r.Score, "Strong."
	}
	return 4, "Very strong."
}
