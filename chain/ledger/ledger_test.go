package ledger

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/healthwallet/healthwallet/chain"
	"github.com/healthwallet/healthwallet/chain/clique"
	"github.com/healthwallet/healthwallet/internal/chaintest"
)

func TestSealFollowRestart(t *testing.T) {
	ctx := context.Background()
	g := chaintest.Genesis(2, "clinic-a")
	a := newLedger(t, g)
	dir := filepath.Join(t.TempDir(), "b")
	b := openLedger(t, dir, g)
	if a.GenesisHash() != b.GenesisHash() || a.Head().Number != 0 {
		t.Fatal("genesis differs")
	}
	if _, err := a.Seal(ctx, chaintest.Key("clinic-a"), 0, false); !errors.Is(err, ErrNothingToSeal) {
		t.Fatalf("empty pool: %v", err)
	}
	acct := chaintest.NewAccounts()
	mustAddTx(t, a, acct.Sign("alice", chaintest.Anchor("alice", "r1")), acct.Sign("alice", chaintest.Anchor("alice", "r2")))
	blk := sealNext(t, a, "clinic-a", false)
	if len(blk.Txs) != 2 || a.Pool().Len() != 0 {
		t.Fatalf("block of %d txs, %d left pending", len(blk.Txs), a.Pool().Len())
	}
	mustInsert(t, b, blk)
	if err := b.InsertBlock(ctx, blk); !errors.Is(err, ErrKnownBlock) {
		t.Fatalf("second insert: %v", err)
	}
	if b.Head() != a.Head() || b.Head().Number != 1 {
		t.Fatalf("heads %+v %+v", a.Head(), b.Head())
	}
	if n, _ := b.State().Nonce(chaintest.Pub("alice")); n != 2 {
		t.Fatalf("alice's nonce %d on the follower", n)
	}
	head := b.Head()
	b.Close()
	b = openLedger(t, dir, g)
	if b.Head() != head {
		t.Fatalf("head after restart %+v, want %+v", b.Head(), head)
	}
	// Another genesis on the same directory is refused.
	b.Close()
	if _, err := Open(ctx, Config{Dir: dir, Genesis: chaintest.Genesis(2, "clinic-z"), Now: farClock}); !errors.Is(err, ErrGenesisMismatch) {
		t.Fatalf("other genesis: %v", err)
	}
}

// A replayed, unauthorized or forged transaction never reaches the pool.
func TestAddTxRefusals(t *testing.T) {
	g := chaintest.Genesis(2, "clinic-a")
	l := newLedger(t, g)
	acct := chaintest.NewAccounts()
	first := acct.Sign("alice", chaintest.Anchor("alice", "r1"))
	grant := acct.Sign("alice", chaintest.Grant("dr-x"))
	mustAddTx(t, l, first, grant)
	sealNext(t, l, "clinic-a", false)
	wrongChain, _ := chain.Sign(chaintest.Key("alice"), "other-chain", 2, chaintest.Anchor("alice", "r9"))
	cases := []struct {
		name string
		tx   *chain.Tx
		want error
	}{
		{"replayed nonce", first, chain.ErrNonceTooLow},
		{"grant signed by anyone but the patient", chaintest.Forge("mallory", "alice", 2, chaintest.Grant("mallory")), ErrInvalidTx},
		{"revoke by anyone but the granter", chaintest.SignNonce("mallory", 0, chain.ConsentRevoke{Grant: grant.Hash()}), ErrRefusedTx},
		{"revoke by the grantee", chaintest.SignNonce("dr-x", 0, chain.ConsentRevoke{Grant: grant.Hash()}), ErrRefusedTx},
		{"revoke of a grant this node has not seen", chaintest.SignNonce("alice", 2, chain.ConsentRevoke{Grant: chain.Hash{9}}), ErrRefusedTx},
		{"another chain", wrongChain, ErrInvalidTx},
		{"nonce far ahead", chaintest.SignNonce("alice", 2+chain.MaxPoolNonceGap, chaintest.Anchor("alice", "r3")), chain.ErrNonceGap},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := l.AddTx(context.Background(), c.tx); !errors.Is(err, c.want) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
			if l.Pool().Len() != 0 {
				t.Fatal("pool took it")
			}
		})
	}
	// The granter's revoke is taken.
	mustAddTx(t, l, chaintest.SignNonce("alice", 2, chain.ConsentRevoke{Grant: grant.Hash()}))
}

// Blocks that break a rule are refused, never stored, and leave the head
// where it was.
func TestInsertRefusals(t *testing.T) {
	ctx := context.Background()
	signers := []string{"clinic-a", "clinic-b", "clinic-c"}
	g := chaintest.Genesis(2, signers...)
	l := newLedger(t, g)
	acct := chaintest.NewAccounts()
	inTurn := func(number uint64) string {
		for _, n := range signers {
			if l.head.snap.InTurn(number, clique.Signer(chaintest.Pub(n))) {
				return n
			}
		}
		t.Fatal("nobody in turn")
		return ""
	}
	anchor := acct.Sign("alice", chaintest.Anchor("alice", "r1"))
	grant := acct.Sign("alice", chaintest.Grant("dr-x"))
	mustAddTx(t, l, anchor, grant)
	b1 := sealNext(t, l, inTurn(1), false)
	signer2 := inTurn(2)

	// build makes block 2 on b1, sealed by signer, after change.
	build := func(signer string, txs []*chain.Tx, change func(*chain.Header)) *chain.Block {
		h := chain.Header{ChainID: chaintest.ChainID, ParentHash: b1.Hash(), Number: 2, Time: b1.Header.Time + 2,
			Difficulty: l.head.snap.Difficulty(2, clique.Signer(chaintest.Pub(signer)))}
		blk := chain.NewBlock(h, txs)
		blk.Header.StateRoot = StateRoot(b1.Header.StateRoot, 2, blk.Header.TxRoot, signerKeys(l.head.snap))
		if change != nil {
			change(&blk.Header)
		}
		if err := blk.Header.Seal(chaintest.Key(signer)); err != nil {
			t.Fatal(err)
		}
		return blk
	}
	ok := []*chain.Tx{chaintest.SignNonce("alice", 2, chaintest.Anchor("alice", "r2"))}
	badSeal := build(signer2, ok, nil)
	badSeal.Header.Signature[0] ^= 1
	cases := []struct {
		name string
		blk  *chain.Block
		want error
	}{
		{"a non-signer's block", build("mallory", ok, nil), ErrInvalidBlock},
		{"bad seal", badSeal, ErrInvalidBlock},
		{"wrong parent", build(signer2, ok, func(h *chain.Header) { h.ParentHash[0] ^= 1 }), ErrUnknownParent},
		{"wrong state root", build(signer2, ok, func(h *chain.Header) { h.StateRoot[0] ^= 1 }), ErrInvalidBlock},
		{"wrong difficulty", build(signer2, ok, func(h *chain.Header) { h.Difficulty = 3 - h.Difficulty }), ErrInvalidBlock},
		{"before the period", build(signer2, ok, func(h *chain.Header) { h.Time = b1.Header.Time + 1 }), ErrInvalidBlock},
		{"from the future", build(signer2, ok, func(h *chain.Header) { h.Time = uint64(farClock().Unix()) + 3600 }), ErrFutureBlock},
		{"the last signer again", build(b1SignerName(t, b1, signers), ok, nil), ErrInvalidBlock},
		{"a replayed nonce", build(signer2, []*chain.Tx{anchor}, nil), ErrInvalidBlock},
		{"a forged grant", build(signer2, []*chain.Tx{chaintest.Forge("mallory", "alice", 2, chaintest.Grant("mallory"))}, nil), ErrInvalidBlock},
		{"a revoke by anyone but the granter", build(signer2, []*chain.Tx{chaintest.SignNonce("mallory", 0, chain.ConsentRevoke{Grant: grant.Hash()})}, nil), ErrInvalidBlock},
		{"the genesis again", &chain.Block{Header: func() chain.Header { h, _ := chaintest.Genesis(3, "mallory").Header(); return *h }()}, ErrInvalidBlock},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			head := l.Head()
			err := l.InsertBlock(ctx, c.blk)
			if !errors.Is(err, c.want) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
			if l.Head() != head {
				t.Fatal("head moved")
			}
			if ok, _ := l.HasBlock(ctx, c.blk.Hash()); ok {
				t.Fatal("block stored")
			}
		})
	}
	// The honest block 2 still goes in.
	mustInsert(t, l, build(signer2, ok, nil))
	if l.Head().Number != 2 {
		t.Fatalf("head %d", l.Head().Number)
	}
}

func b1SignerName(t *testing.T, b *chain.Block, names []string) string {
	for _, n := range names {
		if chaintest.Pub(n) == b.Header.Signer {
			return n
		}
	}
	t.Fatal("unknown signer")
	return ""
}

// Signer votes: each signer's sealer casts the vote its operator proposed;
// a strict majority adds the new clinic, which may then seal; Discard
// withdraws a proposal.
func TestProposeAddsASigner(t *testing.T) {
	g := chaintest.Genesis(2, "clinic-a", "clinic-b")
	l := newLedger(t, g)
	newcomer := chaintest.Pub("clinic-c")
	l.Propose(newcomer, true)
	l.Propose(chaintest.Pub("clinic-z"), true)
	l.Discard(chaintest.Pub("clinic-z"))
	sealer := func() string {
		for _, n := range []string{"clinic-a", "clinic-b"} {
			if l.head.snap.CanSeal(l.Head().Number+1, clique.Signer(chaintest.Pub(n))) == nil {
				return n
			}
		}
		t.Fatal("nobody may seal")
		return ""
	}
	for range 2 { // one vote from each signer: 2 of 2 is a strict majority
		blk := sealNext(t, l, sealer(), false)
		if blk.Header.Vote == nil || blk.Header.Vote.Target != newcomer || !blk.Header.Vote.Authorize {
			t.Fatalf("block %d vote %+v", blk.Header.Number, blk.Header.Vote)
		}
	}
	signers := l.Signers()
	if len(signers) != 3 || !slices.Contains(signers, newcomer) {
		t.Fatalf("signers after the votes: %v", signers)
	}
	// Enacted: nothing left to vote on, so nothing to seal without txs.
	if _, err := l.Seal(context.Background(), chaintest.Key("clinic-c"), 0, false); !errors.Is(err, ErrNothingToSeal) {
		t.Fatalf("after the vote: %v", err)
	}
	mustAddTx(t, l, chaintest.SignNonce("alice", 0, chaintest.Anchor("alice", "r1")))
	if blk := sealNext(t, l, "clinic-c", false); blk.Header.Signer != newcomer {
		t.Fatal("the newcomer did not seal")
	}
}

// A proposed vote wakes an idle sealer: the vote is cast in a block of its
// own, with no transaction pending.
func TestProposeWakesTheSealer(t *testing.T) {
	g := chaintest.Genesis(1, "clinic-a")
	l := newLedger(t, g)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	sealed := make(chan *chain.Block, 4)
	done := make(chan error, 1)
	go func() { done <- l.RunSealer(ctx, chaintest.Key("clinic-a"), func(b *chain.Block) { sealed <- b }) }()
	defer func() { cancel(); <-done }()
	// Nothing is pending: the sealer waits for a reason to seal. The pause
	// lets it reach that wait, so that a missing wake-up fails the test; a
	// sealer not yet waiting would see the vote anyway (the test passes).
	if l.Pool().Len() != 0 {
		t.Fatal("transactions pending")
	}
	time.Sleep(200 * time.Millisecond)
	newcomer := chaintest.Pub("clinic-b")
	l.Propose(newcomer, true)
	select {
	case blk := <-sealed:
		if blk.Header.Vote == nil || blk.Header.Vote.Target != newcomer {
			t.Fatalf("block %d carries vote %+v", blk.Header.Number, blk.Header.Vote)
		}
	case <-ctx.Done():
		t.Fatal("the vote was never sealed")
	}
}
