// Package vc issues and verifies the credentials an authority gives a
// clinician ("verified clinicians", issue 9): a W3C Verifiable Credential 2.0
// JSON document whose issuer and subject are did:key identifiers of Ed25519
// keys, secured by a Data Integrity proof with the eddsa-jcs-2022 cryptosuite
// (W3C "Data Integrity EdDSA Cryptosuites v1.0", section 3.3).
//
// The proof is computed exactly as the cryptosuite specifies:
//
//	proofConfig  = {type: "DataIntegrityProof", cryptosuite: "eddsa-jcs-2022",
//	                created, verificationMethod, proofPurpose: "assertionMethod",
//	                @context: the document's @context}
//	hashData     = SHA-256(JCS(proofConfig)) || SHA-256(JCS(document without proof))
//	signature    = Ed25519(authority key, hashData)
//	proofValue   = "z" + base58btc(signature)
//
// JCS is RFC 8785, via github.com/gowebpki/jcs. The package reproduces the
// specification's own eddsa-jcs-2022 test vector (see testdata/).
//
// Issue returns the signed document in its JCS (canonical) form; Hash gives
// the SHA-256 of a document's JCS form, which is what the chain anchors.
// Verify returns errors that wrap ErrMalformed, ErrBadProof, ErrNotYetValid or
// ErrExpired, for callers to branch on with errors.Is.
//
// The package imports no other Health Wallet package.
package vc
