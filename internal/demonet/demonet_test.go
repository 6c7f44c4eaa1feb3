package demonet

import (
	"context"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/healthwallet/healthwallet/chain"
	"github.com/healthwallet/healthwallet/chain/ledger"
)

// The demo genesis is fixed: every demo install runs the same chain.
func TestGenesisIsFixed(t *testing.T) {
	a, _ := Genesis().Header()
	b, _ := Genesis().Header()
	if a.Hash() != b.Hash() || len(a.Checkpoint) != len(Clinics) {
		t.Fatal("demo genesis differs between calls")
	}
}

// The demo consortium runs on the IPFS nodes' own hosts: a transaction
// submitted to one clinic is sealed and reaches the other; a restart
// resumes the chain; Close leaves no goroutine behind.
func TestDemoConsortium(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	dir := t.TempDir()
	n, err := Start(ctx, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	patient := ed25519Key("demo patient")
	tx, err := chain.Sign(patient, ChainID, 0, chain.RecordAnchor{
		Patient: chain.PublicKeyOf(patient), RecordID: "r1", CID: demoCID(), Category: chain.CategoryConditions, Time: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Clinics[0].Chain.SubmitTx(ctx, tx); err != nil {
		t.Fatal(err)
	}
	for _, c := range n.Clinics {
		if err := c.Ledger.WaitFor(ctx, func(tip ledger.Tip) bool { return tip.Number >= 1 }); err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
	}
	head := n.Clinics[1].Ledger.Head()
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	n, err = Start(ctx, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := n.Clinics[1].Ledger.Head(); got.Number < head.Number {
		t.Fatalf("restart at %d, was at %d", got.Number, head.Number)
	}
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	goleak.VerifyNone(t, ignore)
}
