package wallet

import "golang.org/x/text/unicode/norm"

// normalizePassphrase puts a passphrase in Unicode NFC before it reaches the
// key derivation: the same words typed on macOS (which composes some
// characters differently) and on Windows or Linux must open the same
// keystore. Bytes that are not UTF-8 pass through unchanged.
func normalizePassphrase(p []byte) []byte { return norm.NFC.Bytes(p) }
