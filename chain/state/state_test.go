package state

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/healthwallet/healthwallet/chain"
)

func TestOpenSettingsAndReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	st, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if v, err := st.SchemaVersion(); err != nil || v != len(migrations) {
		t.Fatalf("schema version %d, %v", v, err)
	}
	if _, _, ok, err := st.Head(); ok || err != nil {
		t.Fatalf("empty state has a head: %v %v", ok, err)
	}
	e := &env{t: t, st: st, signers: []chain.PublicKey{testPub("clinic-a")}, nonces: map[chain.PublicKey]uint64{}, time: 1000}
	b, err := e.apply(e.sign("alice", chain.RecordAnchor{Patient: testPub("alice"), RecordID: "r1", CID: testCID(t, "r1"), Category: chain.CategoryConditions, Time: 5}))
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	st, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	n, h, ok, err := st.Head()
	if err != nil || !ok || n != 1 || h != b.Hash() {
		t.Fatalf("head after reopen: %d %s %v %v", n, h, ok, err)
	}
	if got, err := st.Nonce(testPub("alice")); err != nil || got != 1 {
		t.Fatalf("nonce %d %v", got, err)
	}
	if err := st.IntegrityCheck(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := st.db.Exec(`PRAGMA user_version = 99`); err != nil {
		t.Fatal(err)
	}
	st.Close()
	if _, err := Open(path); !errors.Is(err, ErrTooNew) {
		t.Fatalf("newer schema: %v", err)
	}
}

// fixture: clinic-a registered dr-x and dr-y; alice granted dr-x read+write
// on conditions and dr-y read on record "r-ro"; dr-x asked bob for access.
type fixture struct {
	*env
	grantX, grantY, request chain.Hash
}

func newFixture(t testing.TB) *fixture {
	e := newEnv(t)
	f := &fixture{env: e}
	e.one("clinic-a", chain.ClinicianRegister{Clinician: testPub("dr-x"), Role: chain.RolePhysician})
	e.one("clinic-a", chain.ClinicianRegister{Clinician: testPub("dr-y"), Role: chain.RolePhysician})
	f.grantX = e.one("alice", chain.ConsentGrant{Grantee: testPub("dr-x"), Scope: chain.NewScope(nil, []chain.Category{chain.CategoryConditions}),
		Actions: chain.ActionRead | chain.ActionWrite, Purpose: chain.PurposeTREAT, NotBefore: e.time, Expiry: e.time + 1000, Capsule: testCID(t, "capsule-x")}).Hash()
	f.grantY = e.one("alice", chain.ConsentGrant{Grantee: testPub("dr-y"), Scope: chain.NewScope([]string{"r-ro"}, nil),
		Actions: chain.ActionRead, Purpose: chain.PurposeTREAT, NotBefore: e.time, Expiry: e.time + 1000, Capsule: testCID(t, "capsule-y")}).Hash()
	f.request = e.one("dr-x", chain.AccessRequest{Patient: testPub("bob"), Scope: chain.NewScope(nil, []chain.Category{chain.CategoryAllergies}),
		Purpose: chain.PurposeTREAT, Duration: 3600, Note: "referral"}).Hash()
	return f
}

func anchor(t testing.TB, patient, record string, c chain.Category) chain.RecordAnchor {
	return chain.RecordAnchor{Patient: testPub(patient), RecordID: record, CID: testCID(t, patient+record), Category: c, Time: 1}
}

func TestHostile(t *testing.T) {
	f := newFixture(t)
	cases := []struct {
		name string
		tx   func() *chain.Tx
		want error
	}{
		{"revoke by a stranger", func() *chain.Tx { return f.sign("mallory", chain.ConsentRevoke{Grant: f.grantX}) }, ErrUnauthorized},
		{"revoke by the grantee", func() *chain.Tx { return f.sign("dr-x", chain.ConsentRevoke{Grant: f.grantX}) }, ErrUnauthorized},
		{"revoke of an unknown grant", func() *chain.Tx { return f.sign("alice", chain.ConsentRevoke{Grant: chain.Hash{7}}) }, ErrNotFound},
		{"grant to oneself", func() *chain.Tx {
			return f.sign("alice", chain.ConsentGrant{Grantee: testPub("alice"), Scope: chain.NewScope([]string{"r"}, nil), Actions: chain.ActionWrite,
				Purpose: chain.PurposeTREAT, NotBefore: 0, Expiry: f.time + 100})
		}, chain.ErrInvalid},
		{"grant already expired", func() *chain.Tx {
			return f.sign("alice", chain.ConsentGrant{Grantee: testPub("dr-y"), Scope: chain.NewScope([]string{"r"}, nil), Actions: chain.ActionWrite,
				Purpose: chain.PurposeTREAT, NotBefore: 0, Expiry: f.time})
		}, chain.ErrInvalid},
		{"replayed nonce", func() *chain.Tx { return f.signNonce("alice", 0, anchor(t, "alice", "r9", chain.CategoryOther)) }, ErrBadNonce},
		{"nonce from the future", func() *chain.Tx { return f.signNonce("alice", 5, anchor(t, "alice", "r9", chain.CategoryOther)) }, ErrBadNonce},
		{"request from an unregistered key", func() *chain.Tx {
			return f.sign("mallory", chain.AccessRequest{Patient: testPub("alice"), Scope: chain.NewScope([]string{"r"}, nil), Purpose: chain.PurposeTREAT, Duration: 60})
		}, ErrUnauthorized},
		{"register by a non-signer", func() *chain.Tx {
			return f.sign("dr-x", chain.ClinicianRegister{Clinician: testPub("mallory"), Role: chain.RolePhysician})
		}, ErrUnauthorized},
		{"register twice", func() *chain.Tx {
			return f.sign("clinic-b", chain.ClinicianRegister{Clinician: testPub("dr-x"), Role: chain.RolePhysician})
		}, ErrConflict},
		{"clinician revoke by another clinic", func() *chain.Tx { return f.sign("clinic-b", chain.ClinicianRevoke{Clinician: testPub("dr-x")}) }, ErrUnauthorized},
		{"clinician revoke by a non-signer", func() *chain.Tx { return f.sign("dr-x", chain.ClinicianRevoke{Clinician: testPub("dr-y")}) }, ErrUnauthorized},
		{"clinician revoke of an unknown key", func() *chain.Tx { return f.sign("clinic-a", chain.ClinicianRevoke{Clinician: testPub("nobody")}) }, ErrNotFound},
		{"anchor by a clinician without a grant", func() *chain.Tx { return f.sign("dr-y", anchor(t, "bob", "r1", chain.CategoryConditions)) }, ErrUnauthorized},
		{"anchor with a read-only grant", func() *chain.Tx { return f.sign("dr-y", anchor(t, "alice", "r-ro", chain.CategoryConditions)) }, ErrUnauthorized},
		{"anchor outside the grant's scope", func() *chain.Tx { return f.sign("dr-x", anchor(t, "alice", "r2", chain.CategoryMedications)) }, ErrUnauthorized},
		{"anchor by a stranger", func() *chain.Tx { return f.sign("mallory", anchor(t, "alice", "r2", chain.CategoryConditions)) }, ErrUnauthorized},
		{"decision by the clinician", func() *chain.Tx {
			return f.sign("dr-x", chain.AccessDecision{Request: f.request, Decision: chain.DecisionDeclined})
		}, ErrUnauthorized},
		{"decision by another patient", func() *chain.Tx {
			return f.sign("alice", chain.AccessDecision{Request: f.request, Decision: chain.DecisionDeclined})
		}, ErrUnauthorized},
		{"decision on an unknown request", func() *chain.Tx {
			return f.sign("bob", chain.AccessDecision{Request: chain.Hash{9}, Decision: chain.DecisionDeclined})
		}, ErrNotFound},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := dump(t, f.st)
			tx := c.tx()
			// Alone, and after a valid transaction in the same block: the
			// whole block is refused either way.
			for _, txs := range [][]*chain.Tx{{tx}, {f.signNonce("carol", f.nonces[testPub("carol")], anchor(t, "carol", "ok", chain.CategoryOther)), tx}} {
				_, err := f.apply(txs...)
				if !errors.Is(err, c.want) {
					t.Fatalf("got %v, want %v", err, c.want)
				}
				if after := dump(t, f.st); after != before {
					t.Fatalf("state changed by a refused block:\n%s\nvs\n%s", before, after)
				}
			}
		})
	}
	// A block that does not extend the head.
	before := dump(t, f.st)
	b := f.block(f.sign("alice", anchor(t, "alice", "x", chain.CategoryOther)))
	b.Header.ParentHash = chain.Hash{1}
	if err := f.st.ApplyBlock(context.Background(), b, f.signers); !errors.Is(err, ErrConflict) {
		t.Fatalf("wrong parent: %v", err)
	}
	if dump(t, f.st) != before {
		t.Fatal("state changed")
	}
}

func TestFlows(t *testing.T) {
	f := newFixture(t)
	alice, bob, drx, dry := testPub("alice"), testPub("bob"), testPub("dr-x"), testPub("dr-y")

	// Writer grant: dr-x anchors alice's conditions; alice anchors her own.
	f.one("dr-x", anchor(t, "alice", "c1", chain.CategoryConditions))
	f.one("alice", anchor(t, "alice", "m1", chain.CategoryMedications))

	ok, id, err := f.st.CanRead(drx, alice, "c1", chain.CategoryConditions, f.time)
	if err != nil || !ok || id != f.grantX {
		t.Fatalf("CanRead dr-x: %v %s %v", ok, id, err)
	}
	if ok, _, _ := f.st.CanRead(drx, alice, "m1", chain.CategoryMedications, f.time); ok {
		t.Fatal("dr-x reads outside scope")
	}
	if ok, id, _ := f.st.CanRead(dry, alice, "r-ro", chain.CategoryMedications, f.time); !ok || id != f.grantY {
		t.Fatal("dr-y cannot read r-ro")
	}
	if ok, _, _ := f.st.CanRead(drx, alice, "c1", chain.CategoryConditions, f.time+1000); ok {
		t.Fatal("read after expiry")
	}
	if ok, _, _ := f.st.CanRead(drx, bob, "c1", chain.CategoryConditions, f.time); ok {
		t.Fatal("grant from alice reads bob's records")
	}
	// A grant signed by mallory (to dr-x) is mallory's own: it gives
	// nothing over alice's records.
	f.one("mallory", chain.ConsentGrant{Grantee: drx, Scope: chain.NewScope(nil, []chain.Category{chain.CategoryMedications}),
		Actions: chain.ActionRead | chain.ActionWrite, Purpose: chain.PurposeTREAT, NotBefore: 0, Expiry: f.time + 1000, Capsule: testCID(t, "m")})
	if ok, _, _ := f.st.CanRead(drx, alice, "m1", chain.CategoryMedications, f.time); ok {
		t.Fatal("mallory's grant covers alice's records")
	}
	if _, err := f.apply(f.sign("dr-x", anchor(t, "alice", "m2", chain.CategoryMedications))); !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("anchor under mallory's grant: %v", err)
	}

	gs, err := f.st.ActiveGrants(alice, f.time)
	if err != nil || len(gs) != 2 || gs[0].ID != f.grantX || gs[1].ID != f.grantY || gs[0].Scope.Categories[0] != chain.CategoryConditions {
		t.Fatalf("ActiveGrants: %+v %v", gs, err)
	}
	reqs, err := f.st.PendingRequests(bob)
	if err != nil || len(reqs) != 1 || reqs[0].ID != f.request || reqs[0].Clinician != drx || reqs[0].Note != "referral" {
		t.Fatalf("PendingRequests: %+v %v", reqs, err)
	}
	f.one("bob", chain.AccessDecision{Request: f.request, Decision: chain.DecisionDeclined})
	if reqs, _ := f.st.PendingRequests(bob); len(reqs) != 0 {
		t.Fatal("decided request still pending")
	}
	if _, err := f.apply(f.sign("bob", chain.AccessDecision{Request: f.request, Decision: chain.DecisionDeclined})); !errors.Is(err, ErrConflict) {
		t.Fatalf("second decision: %v", err)
	}

	// Revoke: then dr-x can neither read nor write; a second revoke conflicts.
	f.one("alice", chain.ConsentRevoke{Grant: f.grantX})
	if ok, _, _ := f.st.CanRead(drx, alice, "c1", chain.CategoryConditions, f.time); ok {
		t.Fatal("read after revoke")
	}
	if _, err := f.apply(f.sign("dr-x", anchor(t, "alice", "c2", chain.CategoryConditions))); !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("anchor after revoke: %v", err)
	}
	if _, err := f.apply(f.sign("alice", chain.ConsentRevoke{Grant: f.grantX})); !errors.Is(err, ErrConflict) {
		t.Fatalf("second revoke: %v", err)
	}
	if g, err := f.st.Grant(f.grantX); err != nil || !g.Revoked {
		t.Fatalf("Grant: %+v %v", g, err)
	}

	// Expiry: a short write grant to dr-y works, then lapses.
	f.one("alice", chain.ConsentGrant{Grantee: dry, Scope: chain.NewScope([]string{"s1", "s2"}, nil), Actions: chain.ActionWrite,
		Purpose: chain.PurposeTREAT, NotBefore: 0, Expiry: f.time + 5})
	f.one("dr-y", anchor(t, "alice", "s1", chain.CategoryOther))
	f.one("carol", anchor(t, "carol", "pad", chain.CategoryOther)) // time passes
	f.one("carol", anchor(t, "carol", "pad2", chain.CategoryOther))
	if _, err := f.apply(f.sign("dr-y", anchor(t, "alice", "s2", chain.CategoryOther))); !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("anchor after expiry: %v", err)
	}

	// Clinician revoke by the registering clinic; then requests are refused.
	f.one("clinic-a", chain.ClinicianRevoke{Clinician: drx})
	if c, err := f.st.Clinician(drx); err != nil || !c.Revoked || c.Clinic != testPub("clinic-a") {
		t.Fatalf("Clinician: %+v %v", c, err)
	}
	if _, err := f.st.Clinician(testPub("nobody")); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown clinician: %v", err)
	}
	if _, err := f.apply(f.sign("dr-x", chain.AccessRequest{Patient: alice, Scope: chain.NewScope([]string{"r"}, nil), Purpose: chain.PurposeTREAT, Duration: 60})); !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("request by a revoked clinician: %v", err)
	}
	if _, err := f.apply(f.sign("clinic-a", chain.ClinicianRegister{Clinician: drx, Role: chain.RolePhysician})); !errors.Is(err, ErrConflict) {
		t.Fatalf("re-register: %v", err)
	}

	// Audit log.
	h, err := f.st.History(context.Background(), alice)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []EventKind
	for i, ev := range h {
		kinds = append(kinds, ev.Kind)
		if i > 0 && (ev.Block < h[i-1].Block) {
			t.Fatal("history out of order")
		}
	}
	want := []EventKind{EventGrant, EventGrant, EventAnchor, EventAnchor, EventRevoke, EventGrant, EventAnchor}
	if len(kinds) != len(want) {
		t.Fatalf("history %v, want %v", kinds, want)
	}
	for i := range want {
		if kinds[i] != want[i] {
			t.Fatalf("history %v, want %v", kinds, want)
		}
	}
	if h[2].Actor != drx {
		t.Fatalf("anchor actor %s", h[2].Actor)
	}
	hb, _ := f.st.History(context.Background(), bob)
	if len(hb) != 2 || hb[0].Kind != EventRequest || hb[1].Kind != EventDecision || hb[1].Other != drx {
		t.Fatalf("bob's history %+v", hb)
	}
	nf := f.st.NonceFunc()
	if nf(alice) != f.nonces[alice] || nf(testPub("nobody")) != 0 {
		t.Fatal("NonceFunc")
	}
}

// TestRevert applies blocks, reverts them one by one and compares full table
// dumps; then a reorg: revert k, apply other blocks.
func TestRevert(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	type saved struct {
		dump   string
		number uint64
		parent chain.Hash
		time   uint64
		nonces map[chain.PublicKey]uint64
	}
	save := func() saved {
		n := map[chain.PublicKey]uint64{}
		for k, v := range f.nonces {
			n[k] = v
		}
		return saved{dump(t, f.st), f.number, f.parent, f.time, n}
	}
	restore := func(s saved) { f.number, f.parent, f.time, f.nonces = s.number, s.parent, s.time, s.nonces }

	var states []saved
	step := func(txs ...*chain.Tx) {
		t.Helper()
		states = append(states, save())
		if _, err := f.apply(txs...); err != nil {
			t.Fatal(err)
		}
	}
	// Each kind of transaction, several per block, new and existing accounts.
	step(f.sign("dr-x", anchor(t, "alice", "c1", chain.CategoryConditions)),
		f.sign("alice", anchor(t, "alice", "a1", chain.CategoryAllergies)),
		f.sign("clinic-a", chain.ClinicianRegister{Clinician: testPub("dr-z"), Role: chain.RoleNurse}))
	step(f.sign("alice", chain.ConsentRevoke{Grant: f.grantY}),
		f.sign("bob", chain.AccessDecision{Request: f.request, Decision: chain.DecisionDeclined}),
		f.sign("dave", anchor(t, "dave", "d1", chain.CategoryOther)))
	step(f.sign("clinic-a", chain.ClinicianRevoke{Clinician: testPub("dr-y")}),
		f.sign("dr-z", chain.AccessRequest{Patient: testPub("dave"), Scope: chain.NewScope([]string{"d1"}, nil), Purpose: chain.PurposeTREAT, Duration: 9}))
	n2 := f.nonces[testPub("dave")]
	step(f.signNonce("dave", n2, anchor(t, "dave", "d2", chain.CategoryOther)),
		f.signNonce("dave", n2+1, chain.ConsentGrant{Grantee: testPub("dr-z"), Scope: chain.NewScope([]string{"d1"}, nil), Actions: chain.ActionRead,
			Purpose: chain.PurposeTREAT, NotBefore: 0, Expiry: f.time + 100, Capsule: testCID(t, "dz")}))
	step() // an empty block

	final := save()
	for i := len(states) - 1; i >= 0; i-- {
		n, _, _, _ := f.st.Head()
		if err := f.st.RevertBlock(ctx, n-1); !errors.Is(err, ErrConflict) {
			t.Fatalf("revert below head: %v", err)
		}
		if err := f.st.RevertBlock(ctx, n); err != nil {
			t.Fatal(err)
		}
		if got := dump(t, f.st); got != states[i].dump {
			t.Fatalf("after reverting block %d:\n%s\nwant\n%s", n, got, states[i].dump)
		}
	}
	// Re-apply the same blocks: same state as before.
	restore(states[0])
	states = states[:0]
	step(f.sign("dr-x", anchor(t, "alice", "c1", chain.CategoryConditions)),
		f.sign("alice", anchor(t, "alice", "a1", chain.CategoryAllergies)),
		f.sign("clinic-a", chain.ClinicianRegister{Clinician: testPub("dr-z"), Role: chain.RoleNurse}))
	fork := save()
	step(f.sign("alice", chain.ConsentRevoke{Grant: f.grantY}))
	step(f.sign("erin", anchor(t, "erin", "e1", chain.CategoryOther)))
	_ = final

	// Reorg: revert 2, apply another branch of 3 from the fork point.
	for i := 0; i < 2; i++ {
		n, _, _, _ := f.st.Head()
		if err := f.st.RevertBlock(ctx, n); err != nil {
			t.Fatal(err)
		}
	}
	if dump(t, f.st) != fork.dump {
		t.Fatal("state at the fork point differs")
	}
	restore(fork)
	f.time += 1 // another branch: different times, so different hashes
	for _, name := range []string{"frank", "gina", "frank"} {
		if _, err := f.apply(f.sign(name, anchor(t, name, "x", chain.CategoryOther))); err != nil {
			t.Fatal(err)
		}
	}
	if ok, _, _ := f.st.CanRead(testPub("dr-y"), testPub("alice"), "r-ro", chain.CategoryOther, f.time); !ok {
		t.Fatal("revoke of the dropped branch still in force")
	}
	if err := f.st.IntegrityCheck(ctx); err != nil {
		t.Fatal(err)
	}
}
