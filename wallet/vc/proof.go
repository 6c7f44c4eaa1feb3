package vc

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gowebpki/jcs"
	"github.com/multiformats/go-multibase"
)

// Names fixed by the specifications.
const (
	proofType     = "DataIntegrityProof"
	cryptosuite   = "eddsa-jcs-2022"
	proofPurpose  = "assertionMethod"
	didKeyPrefix  = "did:key:"
	timeLayout    = "2006-01-02T15:04:05Z"
	ed25519PubLen = ed25519.PublicKeySize
)

// ed25519PubCodec is the multicodec prefix of an Ed25519 public key
// (0xed, varint-encoded as 0xed 0x01).
var ed25519PubCodec = []byte{0xed, 0x01}

// DIDKey returns the did:key identifier of an Ed25519 public key:
// "did:key:z" + base58btc(0xed01 || key).
func DIDKey(pub ed25519.PublicKey) (string, error) {
	if len(pub) != ed25519PubLen {
		return "", fmt.Errorf("%w: Ed25519 public key of %d bytes", ErrMalformed, len(pub))
	}
	s, err := multibase.Encode(multibase.Base58BTC, append(append([]byte{}, ed25519PubCodec...), pub...))
	if err != nil {
		return "", err
	}
	return didKeyPrefix + s, nil
}

// PublicKeyFromDIDKey returns the Ed25519 public key of a did:key identifier.
// Only the base58btc multibase form with the Ed25519 multicodec is accepted.
func PublicKeyFromDIDKey(did string) (ed25519.PublicKey, error) {
	if len(did) > maxDIDLength || !strings.HasPrefix(did, didKeyPrefix+"z") {
		return nil, fmt.Errorf("%w: not an Ed25519 did:key", ErrMalformed)
	}
	enc, raw, err := multibase.Decode(did[len(didKeyPrefix):])
	if err != nil || enc != multibase.Base58BTC {
		return nil, fmt.Errorf("%w: did:key is not base58btc", ErrMalformed)
	}
	if len(raw) != len(ed25519PubCodec)+ed25519PubLen || !bytes.HasPrefix(raw, ed25519PubCodec) {
		return nil, fmt.Errorf("%w: did:key is not an Ed25519 public key", ErrMalformed)
	}
	return ed25519.PublicKey(raw[len(ed25519PubCodec):]), nil
}

// verificationMethodFor is the verification method of a did:key: the DID
// with its own multibase key as fragment.
func verificationMethodFor(did string) string {
	return did + "#" + strings.TrimPrefix(did, didKeyPrefix)
}

// canonical returns the RFC 8785 (JCS) form of v.
func canonical(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return jcs.Transform(b)
}

// proofConfig builds the eddsa-jcs-2022 proof configuration for an unsecured
// document (spec 3.3.5): the proof options plus the document's @context.
func proofConfig(unsecured map[string]any, created time.Time, verificationMethod string) map[string]any {
	cfg := map[string]any{
		"type":               proofType,
		"cryptosuite":        cryptosuite,
		"created":            created.UTC().Format(timeLayout),
		"verificationMethod": verificationMethod,
		"proofPurpose":       proofPurpose,
	}
	if ctx, ok := unsecured["@context"]; ok {
		cfg["@context"] = ctx
	}
	return cfg
}

// hashData is spec 3.3.4: SHA-256(JCS(proofConfig)) || SHA-256(JCS(document)).
func hashData(config, unsecured map[string]any) ([]byte, error) {
	c, err := canonical(config)
	if err != nil {
		return nil, fmt.Errorf("canonicalising proof configuration: %w", err)
	}
	d, err := canonical(unsecured)
	if err != nil {
		return nil, fmt.Errorf("canonicalising document: %w", err)
	}
	ch, dh := sha256.Sum256(c), sha256.Sum256(d)
	return append(ch[:], dh[:]...), nil
}

// createProof returns the eddsa-jcs-2022 proof (spec 3.3.1) of an unsecured
// document (one with no "proof" member), signed with key.
func createProof(unsecured map[string]any, key ed25519.PrivateKey, created time.Time, verificationMethod string) (map[string]any, error) {
	if _, ok := unsecured["proof"]; ok {
		return nil, errors.New("vc: document already has a proof")
	}
	if len(key) != ed25519.PrivateKeySize {
		return nil, errors.New("vc: not an Ed25519 private key")
	}
	cfg := proofConfig(unsecured, created, verificationMethod)
	h, err := hashData(cfg, unsecured)
	if err != nil {
		return nil, err
	}
	pv, err := multibase.Encode(multibase.Base58BTC, ed25519.Sign(key, h))
	if err != nil {
		return nil, err
	}
	cfg["proofValue"] = pv
	return cfg, nil
}

// verifyProof checks the eddsa-jcs-2022 proof of a secured document (spec
// 3.3.2) against pub. Every failure wraps ErrBadProof.
func verifyProof(secured map[string]any, pub ed25519.PublicKey) error {
	proof, ok := secured["proof"].(map[string]any)
	if !ok {
		return fmt.Errorf("%w: no single proof object", ErrBadProof)
	}
	unsecured := make(map[string]any, len(secured))
	for k, v := range secured {
		if k != "proof" {
			unsecured[k] = v
		}
	}
	options := make(map[string]any, len(proof))
	for k, v := range proof {
		if k != "proofValue" {
			options[k] = v
		}
	}
	if options["type"] != proofType || options["cryptosuite"] != cryptosuite {
		return fmt.Errorf("%w: proof is not %s/%s", ErrBadProof, proofType, cryptosuite)
	}
	pv, ok := proof["proofValue"].(string)
	if !ok || len(pv) > maxProofValueLength {
		return fmt.Errorf("%w: proofValue missing or too long", ErrBadProof)
	}
	enc, sig, err := multibase.Decode(pv)
	if err != nil || enc != multibase.Base58BTC || len(sig) != ed25519.SignatureSize {
		return fmt.Errorf("%w: proofValue is not a base58btc Ed25519 signature", ErrBadProof)
	}
	// Spec 3.3.2 step 4: the proof's @context, if any, must be a prefix of
	// the document's, and then stands for it.
	if pctx, ok := options["@context"]; ok {
		if !contextPrefix(pctx, unsecured["@context"]) {
			return fmt.Errorf("%w: proof @context does not match the document's", ErrBadProof)
		}
		unsecured["@context"] = pctx
	}
	if len(pub) != ed25519PubLen {
		return fmt.Errorf("%w: no Ed25519 public key", ErrBadProof)
	}
	h, err := hashData(options, unsecured)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrBadProof, err)
	}
	if !ed25519.Verify(pub, h, sig) {
		return fmt.Errorf("%w: signature does not verify", ErrBadProof)
	}
	return nil
}

// contextPrefix reports whether the proof's @context values start the
// document's @context, in order.
func contextPrefix(proofCtx, docCtx any) bool {
	p, d := asList(proofCtx), asList(docCtx)
	if p == nil || d == nil || len(p) > len(d) {
		return false
	}
	for i := range p {
		a, err1 := canonical(p[i])
		b, err2 := canonical(d[i])
		if err1 != nil || err2 != nil || !bytes.Equal(a, b) {
			return false
		}
	}
	return true
}

func asList(v any) []any {
	switch v := v.(type) {
	case []any:
		return v
	case string:
		return []any{v}
	case map[string]any:
		return []any{v}
	}
	return nil
}
