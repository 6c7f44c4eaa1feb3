// Package chaintest builds test fixtures for the consent chain: named
// deterministic keys, a genesis for a set of named signers, and signed
// transactions with tracked nonces. Tests of the ledger, the network layer
// and the benchmarks share it; production code never imports it.
package chaintest

import (
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
	"sync"
	"time"

	"github.com/healthwallet/healthwallet/chain"
)

// ChainID is the chain ID of test genesis files.
const ChainID = "hw-test"

// GenesisTime is the genesis time of test chains: far enough in the past
// that blocks sealed at the wall clock follow it.
const GenesisTime = 1_700_000_000

// Key returns the deterministic private key for a name.
func Key(name string) ed25519.PrivateKey {
	seed := sha256.Sum256([]byte("healthwallet-chaintest/" + name))
	return ed25519.NewKeyFromSeed(seed[:])
}

// Pub returns the public key for a name.
func Pub(name string) chain.PublicKey { return chain.PublicKeyOf(Key(name)) }

// Genesis returns a genesis with the named signers and a period in seconds.
func Genesis(period uint64, signers ...string) *chain.Genesis {
	m := map[chain.PublicKey]string{}
	for _, s := range signers {
		m[Pub(s)] = s
	}
	g := chain.NewGenesis(ChainID, time.Unix(GenesisTime, 0), m)
	g.Period = period
	return g
}

// CID returns a raw-leaves CIDv1 of data's SHA-256, as the wallet anchors.
func CID(data string) chain.CID {
	d := sha256.Sum256([]byte(data))
	c, err := chain.CIDFromBytes(append([]byte{0x01, 0x55, 0x12, 0x20}, d[:]...))
	if err != nil {
		panic(err)
	}
	return c
}

// Accounts signs transactions for named accounts with consecutive nonces.
type Accounts struct {
	mu     sync.Mutex
	nonces map[string]uint64
}

// NewAccounts returns accounts with every nonce at 0.
func NewAccounts() *Accounts { return &Accounts{nonces: map[string]uint64{}} }

// Sign signs body by name with its next nonce.
func (a *Accounts) Sign(name string, body chain.Body) *chain.Tx {
	a.mu.Lock()
	n := a.nonces[name]
	a.nonces[name] = n + 1
	a.mu.Unlock()
	return SignNonce(name, n, body)
}

// SignNonce signs body by name with an explicit nonce.
func SignNonce(name string, nonce uint64, body chain.Body) *chain.Tx {
	tx, err := chain.Sign(Key(name), ChainID, nonce, body)
	if err != nil {
		panic(fmt.Sprintf("chaintest: sign %s: %v", name, err))
	}
	return tx
}

// Anchor is a RecordAnchor of a record the patient anchors themself.
func Anchor(patient, recordID string) chain.RecordAnchor {
	return chain.RecordAnchor{Patient: Pub(patient), RecordID: recordID, CID: CID(patient + "/" + recordID), Category: chain.CategoryConditions, Time: GenesisTime}
}

// Forge returns a transaction that claims to be from as but is signed by
// signer's key: its signature does not verify.
func Forge(signer, as string, nonce uint64, body chain.Body) *chain.Tx {
	real := SignNonce(signer, nonce, body)
	tx, err := chain.NewSignedTx(ChainID, Pub(as), nonce, body, real.Signature())
	if err != nil {
		panic(fmt.Sprintf("chaintest: forge: %v", err))
	}
	return tx
}

// Grant is a read grant from the signer to grantee on conditions, open
// ended.
func Grant(grantee string) chain.ConsentGrant {
	return chain.ConsentGrant{Grantee: Pub(grantee), Scope: chain.NewScope(nil, []chain.Category{chain.CategoryConditions}),
		Actions: chain.ActionRead, Purpose: chain.PurposeTREAT, Expiry: 1 << 62, Capsule: CID("capsule/" + grantee)}
}
