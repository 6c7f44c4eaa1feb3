package state

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/healthwallet/healthwallet/chain"
)

const testChain = "hw-test"

func testKey(name string) ed25519.PrivateKey {
	seed := sha256.Sum256([]byte("healthwallet-state-test/" + name))
	return ed25519.NewKeyFromSeed(seed[:])
}

func testPub(name string) chain.PublicKey { return chain.PublicKeyOf(testKey(name)) }

func testCID(t testing.TB, data string) chain.CID {
	d := sha256.Sum256([]byte(data))
	c, err := chain.CIDFromBytes(append([]byte{0x01, 0x55, 0x12, 0x20}, d[:]...))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// env is a state with a test chain on top: it tracks nonces and the head.
type env struct {
	t       testing.TB
	st      *State
	signers []chain.PublicKey
	nonces  map[chain.PublicKey]uint64
	number  uint64
	parent  chain.Hash
	time    uint64
}

func newEnv(t testing.TB) *env {
	t.Helper()
	st, err := Open(filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return &env{t: t, st: st, signers: []chain.PublicKey{testPub("clinic-a"), testPub("clinic-b")},
		nonces: map[chain.PublicKey]uint64{}, time: 1_700_000_000}
}

// sign signs body by name with the next nonce it tracks (not committed:
// commit happens in block when the block applies).
func (e *env) sign(name string, body chain.Body) *chain.Tx {
	e.t.Helper()
	k := testKey(name)
	pub := chain.PublicKeyOf(k)
	tx, err := chain.Sign(k, testChain, e.nonces[pub], body)
	if err != nil {
		e.t.Fatal(err)
	}
	return tx
}

// signNonce signs with an explicit nonce.
func (e *env) signNonce(name string, nonce uint64, body chain.Body) *chain.Tx {
	e.t.Helper()
	tx, err := chain.Sign(testKey(name), testChain, nonce, body)
	if err != nil {
		e.t.Fatal(err)
	}
	return tx
}

func (e *env) block(txs ...*chain.Tx) *chain.Block {
	h := chain.Header{ChainID: testChain, ParentHash: e.parent, Number: e.number + 1, Time: e.time + 2,
		Difficulty: chain.DiffInTurn, Signer: e.signers[0]}
	return chain.NewBlock(h, txs)
}

// apply applies a block of txs and advances the tracked head and nonces.
func (e *env) apply(txs ...*chain.Tx) (*chain.Block, error) {
	e.t.Helper()
	b := e.block(txs...)
	if err := e.st.ApplyBlock(context.Background(), b, e.signers); err != nil {
		return b, err
	}
	e.number, e.parent, e.time = b.Header.Number, b.Hash(), b.Header.Time
	for _, tx := range txs {
		e.nonces[tx.Sender()] = tx.Nonce() + 1
	}
	return b, nil
}

// one signs and applies a single transaction, failing the test on error.
func (e *env) one(name string, body chain.Body) *chain.Tx {
	e.t.Helper()
	tx := e.sign(name, body)
	if _, err := e.apply(tx); err != nil {
		e.t.Fatalf("%v from %s: %v", tx.Type(), name, err)
	}
	return tx
}

// dump renders every table, ordered by primary key, for equality checks.
func dump(t testing.TB, st *State) string {
	t.Helper()
	tables := map[string]string{
		"blocks": "number", "accounts": "key", "undo_accounts": "block, key", "anchors": "rowid",
		"grants": "id", "requests": "id", "clinicians": "key", "meta": "k",
		"grant_capsules": "grant, block, pos", "clinic_keys": "key", "emergency_auths": "id",
		"emergency_accesses": "id", "emergency_releases": "access, holder",
		"authority_votes": "authority, block, pos", "authority_events": "authority, block, pos", "credentials": "hash",
		"credential_status": "hash, block, pos", "prescriptions": "commitment", "dispenses": "commitment, seq",
		"organisations": "key", "organisation_revocations": "key", "batches": "gtin, lot", "shipments": "id",
		"shipment_serials": "shipment, serial", "receipts": "shipment", "pack_dispenses": "gtin, lot, serial",
		"recalls": "id", "recall_serials": "recall, serial",
	}
	var b strings.Builder
	for _, name := range []string{"blocks", "accounts", "undo_accounts", "anchors", "grants", "requests", "clinicians", "meta",
		"grant_capsules", "clinic_keys", "emergency_auths", "emergency_accesses", "emergency_releases",
		"authority_votes", "authority_events", "credentials", "credential_status", "prescriptions", "dispenses",
		"organisations", "organisation_revocations", "batches", "shipments", "shipment_serials", "receipts", "pack_dispenses",
		"recalls", "recall_serials"} {
		rows, err := st.db.Query(fmt.Sprintf("SELECT * FROM %s ORDER BY %s", name, tables[name]))
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		fmt.Fprintf(&b, "== %s %v\n", name, cols)
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			for _, v := range vals {
				fmt.Fprintf(&b, "%#v|", v)
			}
			b.WriteByte('\n')
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
	}
	return b.String()
}

var _ = sql.ErrNoRows
