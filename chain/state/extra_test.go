package state

import (
	"context"
	"errors"
	"math"
	"sync"
	"testing"

	"github.com/healthwallet/healthwallet/chain"
)

func TestForeverGrant(t *testing.T) {
	e := newEnv(t)
	g := e.one("alice", chain.ConsentGrant{Grantee: testPub("dr"), Scope: chain.NewScope([]string{"r"}, nil), Actions: chain.ActionRead | chain.ActionWrite,
		Purpose: chain.PurposeTREAT, NotBefore: 0, Expiry: math.MaxUint64, Capsule: testCID(t, "c")})
	if ok, id, err := e.st.CanRead(testPub("dr"), testPub("alice"), "r", chain.CategoryOther, 1<<62); err != nil || !ok || id != g.Hash() {
		t.Fatalf("forever grant: %v %v", ok, err)
	}
	e.one("dr", anchor(t, "alice", "r", chain.CategoryOther))
}

// A new transaction type is a new body (chain.RegisterBody) and a new
// handler (Register); ApplyBlock needs no change. Here: a test type whose
// handler keeps its own table and reverts it.
const testTypeNote chain.TxType = 250

type noteBody struct{ Text string }

func (noteBody) Type() chain.TxType         { return testTypeNote }
func (noteBody) Authority() chain.Authority { return chain.AuthPatient }
func (n noteBody) Validate() error          { return nil }
func (n noteBody) AppendBody(b []byte) []byte {
	e := chain.NewEncoder(b)
	e.Text(n.Text)
	return e.Out()
}

type noteHandler struct{}

func (noteHandler) Check(st *Tx, tx *chain.Tx, blk BlockContext) error {
	if tx.Body().(noteBody).Text == "" {
		return chain.ErrInvalid
	}
	_, err := st.Exec(`CREATE TABLE IF NOT EXISTS test_notes (sender BLOB, text TEXT, block INTEGER)`)
	return err
}

func (noteHandler) Apply(st *Tx, tx *chain.Tx, blk BlockContext) error {
	s := tx.Sender()
	_, err := st.Exec(`INSERT INTO test_notes VALUES (?, ?, ?)`, s[:], tx.Body().(noteBody).Text, int64(blk.Number))
	return err
}

func (noteHandler) Revert(st *Tx, number uint64) error {
	var n int
	if err := st.QueryRow(`SELECT count(*) FROM sqlite_schema WHERE name = 'test_notes'`).Scan(&n); err != nil || n == 0 {
		return err
	}
	_, err := st.Exec(`DELETE FROM test_notes WHERE block = ?`, int64(number))
	return err
}

func init() {
	chain.RegisterBody(testTypeNote, "TestNote", func(b []byte) (chain.Body, error) {
		d := chain.NewDecoder(b)
		n := noteBody{Text: d.Text("text", 100)}
		return n, d.Finish()
	})
	Register(testTypeNote, noteHandler{})
}

func TestNewTypeIsANewHandler(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.one("alice", noteBody{Text: "hello"})
	var n int
	if err := e.st.db.QueryRow(`SELECT count(*) FROM test_notes`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("notes %d %v", n, err)
	}
	if _, err := e.apply(e.sign("alice", noteBody{})); !errors.Is(err, chain.ErrInvalid) {
		t.Fatalf("empty note: %v", err)
	}
	if err := e.st.RevertBlock(ctx, e.number); err != nil {
		t.Fatal(err)
	}
	if err := e.st.db.QueryRow(`SELECT count(*) FROM test_notes`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("notes after revert %d %v", n, err)
	}
	if nn, _ := e.st.Nonce(testPub("alice")); nn != 0 {
		t.Fatalf("nonce after revert %d", nn)
	}
}

// Queries run while blocks are applied (WAL readers beside the writer).
func TestConcurrentQueries(t *testing.T) {
	f := newFixture(t)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	at := f.time
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, _, err := f.st.CanRead(testPub("dr-x"), testPub("alice"), "c", chain.CategoryConditions, at); err != nil {
					t.Error(err)
					return
				}
				if _, err := f.st.History(context.Background(), testPub("alice")); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	for i := range 20 {
		f.one("alice", anchor(t, "alice", string(rune('a'+i)), chain.CategoryOther))
	}
	close(stop)
	wg.Wait()
}

func TestPruneUndo(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	for i := range 4 {
		e.one("alice", anchor(t, "alice", string(rune('a'+i)), chain.CategoryOther))
	}
	if err := e.st.PruneUndo(ctx, 4); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := e.st.db.QueryRow(`SELECT count(*) FROM undo_accounts`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("undo rows %d %v", n, err)
	}
	if err := e.st.RevertBlock(ctx, 4); err != nil {
		t.Fatal(err)
	}
	if err := e.st.RevertBlock(ctx, 3); !errors.Is(err, ErrConflict) {
		t.Fatalf("revert below the floor: %v", err)
	}
	if nn, _ := e.st.Nonce(testPub("alice")); nn != 3 {
		t.Fatalf("nonce %d", nn)
	}
}

// Later transactions in a block see the effects of earlier ones.
func TestSameBlockDependencies(t *testing.T) {
	e := newEnv(t)
	drq, pat := testPub("dr-q"), testPub("pat")
	g := e.sign("pat", chain.ConsentGrant{Grantee: drq, Scope: chain.NewScope(nil, []chain.Category{chain.CategoryOther}), Actions: chain.ActionWrite,
		Purpose: chain.PurposeTREAT, NotBefore: 0, Expiry: e.time + 100})
	txs := []*chain.Tx{
		e.sign("clinic-b", chain.ClinicianRegister{Clinician: drq, Role: chain.RoleNurse}),
		e.sign("dr-q", chain.AccessRequest{Patient: pat, Scope: chain.NewScope([]string{"x"}, nil), Purpose: chain.PurposeTREAT, Duration: 60}),
		g,
		e.signNonce("dr-q", 1, anchor(t, "pat", "x", chain.CategoryOther)),
		e.signNonce("pat", 1, chain.ConsentRevoke{Grant: g.Hash()}),
	}
	if _, err := e.apply(txs...); err != nil {
		t.Fatal(err)
	}
	if gs, err := e.st.GrantsTo(drq, e.time); err != nil || len(gs) != 0 {
		t.Fatalf("GrantsTo after revoke: %v %v", gs, err)
	}
	h, _ := e.st.History(context.Background(), pat)
	want := []EventKind{EventRequest, EventGrant, EventAnchor, EventRevoke}
	if len(h) != len(want) {
		t.Fatalf("history %+v", h)
	}
	for i := range want {
		if h[i].Kind != want[i] || h[i].Block != 1 || (i > 0 && h[i].Pos <= h[i-1].Pos) {
			t.Fatalf("history %+v", h)
		}
	}
	// The anchor after the revoke in the same block is refused.
	if _, err := e.apply(e.sign("dr-q", anchor(t, "pat", "y", chain.CategoryOther))); !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("anchor after revoke: %v", err)
	}
}
