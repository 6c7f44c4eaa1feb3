package chain

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
)

// TxVersion is the transaction format version this package writes and reads.
const TxVersion = 1

// txDomain starts every message a transaction signature covers. Header seals
// start with headerDomain; neither is a prefix of the other, so a signature
// made for one can never verify as the other.
const txDomain = "healthwallet-chain-tx-v1"

// Tx is a signed transaction. Its wire form (version 1):
//
//	version    u8        1
//	chain ID   text      ValidChainID
//	type       u8        a registered TxType
//	sender     fixed 32  Ed25519 key (PublicKey.Check)
//	nonce      u64       the sender's sequence number
//	body       bytes     the body's canonical encoding (Body.AppendBody)
//	signature  fixed 64  Ed25519 over SigningMessage
//
// at most MaxTxSize bytes in all. Its hash (Hash, the transaction's ID) is
// the SHA-256 of these bytes.
//
// A Tx is immutable and always well formed: it comes from Sign, NewSignedTx
// or Decode, each of which validates it, and it keeps its own encoding, so
// Encode and Hash cost nothing. The signature is checked by Verify, not on
// construction. Body returns the decoded body; do not modify its slices.
//
// Ed25519 as used here (Go's crypto/ed25519: S must be below the group
// order, R must match byte for byte) leaves a third party no way to make
// a second valid signature for the same transaction, so a transaction's
// hash is stable once signed. The signer itself can sign the same content
// twice with different signatures; the per-sender nonce, enforced by the
// state layer, lets at most one of them in.
type Tx struct {
	chainID string
	typ     TxType
	sender  PublicKey
	nonce   uint64
	body    Body
	bodyEnc []byte // aliases enc
	sig     Signature
	enc     []byte
	hash    Hash
}

// ChainID returns the chain the transaction is signed for.
func (tx *Tx) ChainID() string { return tx.chainID }

// Type returns the body type.
func (tx *Tx) Type() TxType { return tx.typ }

// Sender returns the signer's public key.
func (tx *Tx) Sender() PublicKey { return tx.sender }

// Nonce returns the sender's sequence number.
func (tx *Tx) Nonce() uint64 { return tx.nonce }

// Body returns the decoded body (a value of the type's Go type, e.g.
// RecordAnchor).
func (tx *Tx) Body() Body { return tx.body }

// Signature returns the Ed25519 signature.
func (tx *Tx) Signature() Signature { return tx.sig }

// Hash returns the transaction's ID: SHA-256 of its encoding.
func (tx *Tx) Hash() Hash { return tx.hash }

// Size returns the length of the encoding.
func (tx *Tx) Size() int { return len(tx.enc) }

// Encode returns a copy of the canonical encoding.
func (tx *Tx) Encode() []byte { return bytes.Clone(tx.enc) }

// AppendEncode appends the canonical encoding to b.
func (tx *Tx) AppendEncode(b []byte) []byte { return append(b, tx.enc...) }

// SigningMessage returns the bytes a transaction signature covers:
//
//	"healthwallet-chain-tx-v1"
//	uvarint len(chain ID) | chain ID
//	type                             u8
//	uvarint len(body) | body         canonical body encoding
//	nonce                            u64 big-endian
//	sender                           32 bytes
//
// Lengths make the concatenation unambiguous. The domain string ties the
// signature to this format version and separates it from header seals; the
// chain ID stops replay on another chain; the nonce (with the state layer's
// per-sender rule) stops replay and reordering on this one; the sender binds
// the key, so a signature cannot be presented under another key.
func SigningMessage(chainID string, t TxType, body []byte, nonce uint64, sender PublicKey) []byte {
	e := NewEncoder(make([]byte, 0, len(txDomain)+2+len(chainID)+1+3+len(body)+8+PublicKeySize))
	e.Fixed([]byte(txDomain))
	e.Text(chainID)
	e.Uint8(uint8(t))
	e.Bytes(body)
	e.Uint64(nonce)
	e.Fixed(sender[:])
	return e.Out()
}

// Sign validates body and returns the transaction priv signs for chainID and
// nonce.
func Sign(priv ed25519.PrivateKey, chainID string, nonce uint64, body Body) (*Tx, error) {
	if len(priv) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("chain: sign: private key of %d bytes: %w", len(priv), ErrInvalid)
	}
	sender := PublicKeyOf(priv)
	bodyEnc, err := encodeBody(chainID, sender, body)
	if err != nil {
		return nil, err
	}
	var sig Signature
	copy(sig[:], ed25519.Sign(priv, SigningMessage(chainID, body.Type(), bodyEnc, nonce, sender)))
	return assemble(chainID, body.Type(), sender, nonce, bodyEnc, sig)
}

// NewSignedTx assembles a transaction from a signature made elsewhere (over
// SigningMessage, e.g. by a hardware key). It validates the structure but
// does not verify the signature; call Verify.
func NewSignedTx(chainID string, sender PublicKey, nonce uint64, body Body, sig Signature) (*Tx, error) {
	bodyEnc, err := encodeBody(chainID, sender, body)
	if err != nil {
		return nil, err
	}
	return assemble(chainID, body.Type(), sender, nonce, bodyEnc, sig)
}

func encodeBody(chainID string, sender PublicKey, body Body) ([]byte, error) {
	if body == nil {
		return nil, fmt.Errorf("chain: tx: no body: %w", ErrInvalid)
	}
	if err := ValidChainID(chainID); err != nil {
		return nil, fmt.Errorf("chain: tx: %w", err)
	}
	if err := checkKey("sender", sender); err != nil {
		return nil, fmt.Errorf("chain: tx: %w", err)
	}
	if err := body.Validate(); err != nil {
		return nil, fmt.Errorf("chain: tx: body: %w", err)
	}
	return body.AppendBody(nil), nil
}

// assemble encodes the parts and decodes the result, so anything Sign and
// NewSignedTx return is exactly what Decode accepts (and the Tx holds its
// own copies of everything).
func assemble(chainID string, t TxType, sender PublicKey, nonce uint64, body []byte, sig Signature) (*Tx, error) {
	e := NewEncoder(make([]byte, 0, 1+1+len(chainID)+1+PublicKeySize+8+3+len(body)+SignatureSize))
	e.Uint8(TxVersion)
	e.Text(chainID)
	e.Uint8(uint8(t))
	e.Fixed(sender[:])
	e.Uint64(nonce)
	e.Bytes(body)
	e.Fixed(sig[:])
	return Decode(e.Out())
}

// Decode parses a transaction's canonical encoding. It rejects anything that
// is not the unique encoding of a valid transaction (see the sentinel
// errors); it does not verify the signature (Verify). The result does not
// alias b.
func Decode(b []byte) (*Tx, error) {
	tx, err := decodeTx(b)
	if err != nil {
		return nil, fmt.Errorf("chain: tx: %w", err)
	}
	return tx, nil
}

func decodeTx(b []byte) (*Tx, error) {
	if len(b) > MaxTxSize {
		return nil, fmt.Errorf("%d bytes, limit %d: %w", len(b), MaxTxSize, ErrTooLarge)
	}
	enc := bytes.Clone(b)
	d := NewDecoder(enc)
	if v := d.Uint8("version"); d.err == nil && v != TxVersion {
		return nil, fmt.Errorf("version %d: %w", v, ErrUnknownVersion)
	}
	tx := &Tx{enc: enc}
	tx.chainID = d.Text("chain ID", MaxChainIDLen)
	if d.err == nil {
		if err := ValidChainID(tx.chainID); err != nil {
			return nil, err
		}
	}
	tx.typ = TxType(d.Uint8("type"))
	var entry *bodyEntry
	if d.err == nil {
		if entry = lookupBody(tx.typ); entry == nil {
			return nil, fmt.Errorf("type %d: %w", tx.typ, ErrUnknownType)
		}
	}
	tx.sender = d.Key("sender")
	if d.err == nil {
		if err := checkKey("sender", tx.sender); err != nil {
			return nil, err
		}
	}
	tx.nonce = d.Uint64("nonce")
	n := d.Len("body", MaxTxSize)
	tx.bodyEnc = d.take("body", n)
	d.Fixed("signature", tx.sig[:])
	if err := d.Finish(); err != nil {
		return nil, err
	}
	body, err := entry.decode(tx.bodyEnc)
	if err != nil {
		return nil, fmt.Errorf("body (%s): %w", entry.name, err)
	}
	if body.Type() != tx.typ {
		return nil, fmt.Errorf("body decoder for type %d returned type %d: %w", tx.typ, body.Type(), ErrInvalid)
	}
	if !bytes.Equal(body.AppendBody(nil), tx.bodyEnc) {
		return nil, fmt.Errorf("body (%s) does not re-encode to the same bytes: %w", entry.name, ErrNonCanonical)
	}
	tx.body = body
	tx.hash = sha256.Sum256(enc)
	return tx, nil
}

// Verify checks that the transaction is signed for chainID by its sender.
// Whether the sender may send it (Body.Authority) and whether its nonce is
// next are state rules, not checked here.
func (tx *Tx) Verify(chainID string) error {
	if tx.chainID != chainID {
		return fmt.Errorf("chain: tx %s: signed for chain %q, not %q: %w", tx.hash, tx.chainID, chainID, ErrWrongChain)
	}
	msg := SigningMessage(tx.chainID, tx.typ, tx.bodyEnc, tx.nonce, tx.sender)
	if !ed25519.Verify(tx.sender[:], msg, tx.sig[:]) {
		return fmt.Errorf("chain: tx %s: %w", tx.hash, ErrBadSignature)
	}
	return nil
}
