package chain

import (
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
)

// HeaderVersion is the header format version this package writes and reads.
const HeaderVersion = 1

// headerDomain starts the message a header seal covers (see txDomain).
const headerDomain = "healthwallet-chain-header-v1"

// Block difficulties of EIP-225 (Clique).
const (
	DiffNoTurn = 1 // sealed out of turn
	DiffInTurn = 2 // sealed by the in-turn signer
)

// Vote is a signer's proposal carried in a header (EIP-225): add Target to
// the signer set (Authorize) or drop it.
type Vote struct {
	Target    PublicKey
	Authorize bool
}

// Header is a block header. Its wire form (version 1):
//
//	version      u8        1
//	chain ID     text      ValidChainID
//	parent       fixed 32  hash of the parent header (zero for genesis)
//	number       u64       height, genesis 0
//	time         u64       unix seconds
//	tx root      fixed 32  TxRoot of the block's transactions
//	state root   fixed 32  the state after the block (the state layer's)
//	difficulty   u8        DiffNoTurn or DiffInTurn
//	vote         bool      0 = no vote; 1 = followed by:
//	  target     fixed 32    key voted on (PublicKey.Check)
//	  authorize  bool        true = add, false = drop
//	checkpoint   uvarint count (0..MaxSigners), then each key, fixed 32,
//	             strictly increasing bytewise (the sorted signer list)
//	signer       fixed 32  the sealer's key
//	seal         fixed 64  Ed25519 over "healthwallet-chain-header-v1" ||
//	                       the encoding up to and excluding the seal
//
// at most MaxHeaderSize bytes. The seal is last, so the sealed message is a
// prefix of the header. Structural rules (Validate): a header with
// checkpoint signers carries no vote (EIP-225: checkpoints do not vote);
// keys pass PublicKey.Check; the genesis header (number 0) is never sealed,
// so its parent, signer and seal are zero, it carries no vote and it lists
// the initial signers. Which numbers are checkpoints (the epoch), who may
// seal, difficulty in turn and times are the consensus engine's rules.
//
// Fields are plain values: build a header, then Seal it. Hash and Encode
// re-encode each call.
type Header struct {
	ChainID    string
	ParentHash Hash
	Number     uint64
	Time       uint64
	TxRoot     Hash
	StateRoot  Hash
	Difficulty uint8
	Vote       *Vote       // nil: no vote
	Checkpoint []PublicKey // signers, on checkpoint (epoch) headers only
	Signer     PublicKey
	Signature  Signature // the seal
}

// appendUnsealed appends everything but the seal.
func (h *Header) appendUnsealed(b []byte) []byte {
	e := NewEncoder(b)
	e.Uint8(HeaderVersion)
	e.Text(h.ChainID)
	e.Fixed(h.ParentHash[:])
	e.Uint64(h.Number)
	e.Uint64(h.Time)
	e.Fixed(h.TxRoot[:])
	e.Fixed(h.StateRoot[:])
	e.Uint8(h.Difficulty)
	e.Bool(h.Vote != nil)
	if h.Vote != nil {
		e.Fixed(h.Vote.Target[:])
		e.Bool(h.Vote.Authorize)
	}
	e.Uvarint(uint64(len(h.Checkpoint)))
	for _, k := range h.Checkpoint {
		e.Fixed(k[:])
	}
	e.Fixed(h.Signer[:])
	return e.Out()
}

// Encode returns the canonical encoding. It encodes whatever h holds;
// DecodeHeader accepts it only if h is valid (Validate).
func (h *Header) Encode() []byte {
	b := h.appendUnsealed(make([]byte, 0, 256+len(h.Checkpoint)*PublicKeySize))
	return append(b, h.Signature[:]...)
}

// Hash returns the header's identity, the SHA-256 of its whole encoding,
// seal included: the same contents sealed by two signers are two blocks.
func (h *Header) Hash() Hash { return sha256.Sum256(h.Encode()) }

// SealMessage returns the bytes the seal signs: the domain string, then the
// encoding without the seal.
func (h *Header) SealMessage() []byte {
	return h.appendUnsealed([]byte(headerDomain))
}

// SealHash returns the SHA-256 of SealMessage: the header's identity before
// sealing, the same whoever seals it last (it does cover Signer).
func (h *Header) SealHash() Hash { return sha256.Sum256(h.SealMessage()) }

// Validate checks the structural rules (see Header).
func (h *Header) Validate() error {
	if err := ValidChainID(h.ChainID); err != nil {
		return err
	}
	if h.Difficulty != DiffNoTurn && h.Difficulty != DiffInTurn {
		return fmt.Errorf("difficulty %d, want 1 or 2: %w", h.Difficulty, ErrInvalid)
	}
	if h.Vote != nil {
		if err := checkKey("vote target", h.Vote.Target); err != nil {
			return err
		}
		if len(h.Checkpoint) > 0 {
			return fmt.Errorf("a checkpoint header carries a vote: %w", ErrInvalid)
		}
	}
	if len(h.Checkpoint) > MaxSigners {
		return fmt.Errorf("checkpoint of %d signers, limit %d: %w", len(h.Checkpoint), MaxSigners, ErrTooLarge)
	}
	for i, k := range h.Checkpoint {
		if err := checkKey(fmt.Sprintf("checkpoint signer %d", i), k); err != nil {
			return err
		}
		if i > 0 && string(k[:]) <= string(h.Checkpoint[i-1][:]) {
			return fmt.Errorf("checkpoint signer %d not after signer %d (sorted, no duplicates): %w", i, i-1, ErrNonCanonical)
		}
	}
	if h.Number == 0 {
		switch {
		case !h.ParentHash.IsZero():
			return fmt.Errorf("genesis with a parent: %w", ErrInvalid)
		case !h.Signer.IsZero() || !h.Signature.IsZero():
			return fmt.Errorf("genesis with a signer or seal (genesis is not sealed): %w", ErrInvalid)
		case h.Vote != nil:
			return fmt.Errorf("genesis with a vote: %w", ErrInvalid)
		case len(h.Checkpoint) == 0:
			return fmt.Errorf("genesis without signers: %w", ErrInvalid)
		}
		return nil
	}
	return checkKey("signer", h.Signer)
}

// Seal sets Signer to priv's public key and Signature to its seal. It fails
// on an invalid header, including a genesis header.
func (h *Header) Seal(priv ed25519.PrivateKey) error {
	if len(priv) != ed25519.PrivateKeySize {
		return fmt.Errorf("chain: seal: private key of %d bytes: %w", len(priv), ErrInvalid)
	}
	if h.Number == 0 {
		return fmt.Errorf("chain: seal: genesis is not sealed: %w", ErrInvalid)
	}
	h.Signer = PublicKeyOf(priv)
	if err := h.Validate(); err != nil {
		return fmt.Errorf("chain: seal: header %d: %w", h.Number, err)
	}
	copy(h.Signature[:], ed25519.Sign(priv, h.SealMessage()))
	return nil
}

// VerifySeal checks the header's structure and that Signature is Signer's
// signature. Whether Signer may seal this block is the consensus engine's
// rule. A genesis header has no seal: VerifySeal fails on it.
func (h *Header) VerifySeal() error {
	if err := h.Validate(); err != nil {
		return fmt.Errorf("chain: header %d: %w", h.Number, err)
	}
	if h.Number == 0 {
		return fmt.Errorf("chain: header 0: genesis has no seal: %w", ErrBadSignature)
	}
	if !ed25519.Verify(h.Signer[:], h.SealMessage(), h.Signature[:]) {
		return fmt.Errorf("chain: header %d: seal: %w", h.Number, ErrBadSignature)
	}
	return nil
}

// DecodeHeader parses a header's canonical encoding and validates its
// structure (Validate); it does not verify the seal (VerifySeal).
func DecodeHeader(b []byte) (*Header, error) {
	h, err := decodeHeader(b)
	if err != nil {
		return nil, fmt.Errorf("chain: header: %w", err)
	}
	return h, nil
}

func decodeHeader(b []byte) (*Header, error) {
	if len(b) > MaxHeaderSize {
		return nil, fmt.Errorf("%d bytes, limit %d: %w", len(b), MaxHeaderSize, ErrTooLarge)
	}
	d := NewDecoder(b)
	if v := d.Uint8("version"); d.err == nil && v != HeaderVersion {
		return nil, fmt.Errorf("version %d: %w", v, ErrUnknownVersion)
	}
	h := new(Header)
	h.ChainID = d.Text("chain ID", MaxChainIDLen)
	h.ParentHash = d.Hash("parent")
	h.Number = d.Uint64("number")
	h.Time = d.Uint64("time")
	h.TxRoot = d.Hash("tx root")
	h.StateRoot = d.Hash("state root")
	h.Difficulty = d.Uint8("difficulty")
	if d.Bool("vote") {
		h.Vote = &Vote{Target: d.Key("vote target"), Authorize: d.Bool("vote authorize")}
	}
	if n := d.Len("checkpoint", MaxSigners); n > 0 && d.err == nil {
		h.Checkpoint = make([]PublicKey, n)
		for i := range h.Checkpoint {
			h.Checkpoint[i] = d.Key("checkpoint signer")
		}
	}
	h.Signer = d.Key("signer")
	d.Fixed("seal", h.Signature[:])
	if err := d.Finish(); err != nil {
		return nil, err
	}
	if err := h.Validate(); err != nil {
		return nil, err
	}
	return h, nil
}
