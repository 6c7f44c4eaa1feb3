package state

import (
	"context"
	"encoding/binary"
	"errors"
	"slices"
	"testing"

	"github.com/healthwallet/healthwallet/chain"
)

// identityOf is a structurally valid identity record for name's key (the
// state layer checks structure and key, not the KEM binding).
func identityOf(name string) []byte {
	k := testPub(name)
	b := append([]byte{0x01}, k[:]...)
	b = binary.BigEndian.AppendUint16(b, 1216)
	b = append(b, make([]byte, 1216)...)
	b = binary.BigEndian.AppendUint16(b, 64)
	return append(b, make([]byte, 64)...)
}

func holders(names ...string) []chain.PublicKey {
	var ks []chain.PublicKey
	for _, n := range names {
		ks = append(ks, testPub(n))
	}
	slices.SortFunc(ks, chain.PublicKey.Compare)
	return ks
}

// emergencyFixture: the newFixture world, both clinics published their
// keys, and alice authorised an emergency summary 2-of-2.
type emergencyFixture struct {
	*fixture
	auth chain.Hash
}

func newEmergencyFixture(t *testing.T) *emergencyFixture {
	f := &emergencyFixture{fixture: newFixture(t)}
	f.one("clinic-a", chain.ClinicKey{Identity: identityOf("clinic-a")})
	f.one("clinic-b", chain.ClinicKey{Identity: identityOf("clinic-b")})
	f.auth = f.one("alice", f.authorization("v1", "clinic-a", "clinic-b")).Hash()
	return f
}

func (f *emergencyFixture) authorization(version string, names ...string) chain.EmergencyAuthorization {
	return chain.EmergencyAuthorization{Summary: testCID(f.t, "summary "+version), Shares: testCID(f.t, "shares "+version),
		Threshold: uint8(len(names)), Holders: holders(names...)}
}

func (f *emergencyFixture) access(clinician string) chain.EmergencyAccess {
	return chain.EmergencyAccess{Patient: testPub("alice"), Authorization: f.auth, Purpose: chain.PurposeETREAT, Note: "unconscious in ED"}
}

func TestEmergencyRules(t *testing.T) {
	ctx := context.Background()
	f := newEmergencyFixture(t)
	access := f.one("dr-x", f.access("dr-x")).Hash()

	cases := []struct {
		name string
		tx   func() *chain.Tx
		want error
	}{
		{"clinic key from a non-signer", func() *chain.Tx { return f.sign("dr-x", chain.ClinicKey{Identity: identityOf("dr-x")}) }, ErrUnauthorized},
		{"clinic key naming another key", func() *chain.Tx { return f.sign("clinic-a", chain.ClinicKey{Identity: identityOf("clinic-b")}) }, ErrUnauthorized},
		{"clinic key twice", func() *chain.Tx { return f.sign("clinic-a", chain.ClinicKey{Identity: identityOf("clinic-a")}) }, ErrConflict},
		{"authorization with a non-signer holder", func() *chain.Tx { return f.sign("alice", f.authorization("x", "clinic-a", "dr-x")) }, ErrUnauthorized},
		{"authorization with the patient as holder", func() *chain.Tx { return f.sign("clinic-c", f.authorization("x", "clinic-a", "clinic-c")) }, chain.ErrInvalid},
		{"access by a non-clinician", func() *chain.Tx { return f.sign("mallory", f.access("mallory")) }, ErrUnauthorized},
		{"access under an unknown authorization", func() *chain.Tx {
			a := f.access("dr-x")
			a.Authorization = chain.Hash{9}
			return f.sign("dr-x", a)
		}, ErrConflict},
		{"access for a patient with no authorization", func() *chain.Tx {
			a := f.access("dr-x")
			a.Patient = testPub("bob")
			return f.sign("dr-x", a)
		}, ErrNotFound},
		{"release by a clinic holding no share", func() *chain.Tx {
			return f.sign("clinic-c", chain.EmergencyRelease{Access: access, Share: testCID(t, "s")})
		}, ErrUnauthorized},
		{"release by a clinician", func() *chain.Tx {
			return f.sign("dr-x", chain.EmergencyRelease{Access: access, Share: testCID(t, "s")})
		}, ErrUnauthorized},
		{"release of an unknown access", func() *chain.Tx {
			return f.sign("clinic-a", chain.EmergencyRelease{Access: chain.Hash{3}, Share: testCID(t, "s")})
		}, ErrNotFound},
		{"capsule for another's grant", func() *chain.Tx {
			return f.sign("bob", chain.GrantCapsule{Grant: f.grantX, Capsule: testCID(t, "c2")})
		}, ErrUnauthorized},
		{"capsule for an unknown grant", func() *chain.Tx {
			return f.sign("alice", chain.GrantCapsule{Grant: chain.Hash{4}, Capsule: testCID(t, "c2")})
		}, ErrNotFound},
		{"revoke of another's authorization", func() *chain.Tx { return f.sign("bob", chain.ConsentRevoke{Grant: f.auth}) }, ErrUnauthorized},
	}
	for _, c := range cases {
		if _, err := f.apply(c.tx()); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}

	// Releases: one per clinic, then done.
	f.one("clinic-a", chain.EmergencyRelease{Access: access, Share: testCID(t, "share a")})
	if _, err := f.apply(f.sign("clinic-a", chain.EmergencyRelease{Access: access, Share: testCID(t, "share a2")})); !errors.Is(err, ErrConflict) {
		t.Fatalf("second release by a clinic: %v", err)
	}
	todoB, err := f.st.UnreleasedAccesses(ctx, testPub("clinic-b"))
	if err != nil || len(todoB) != 1 || todoB[0].ID != access {
		t.Fatalf("clinic-b's work list: %v %v", todoB, err)
	}
	if todoA, err := f.st.UnreleasedAccesses(ctx, testPub("clinic-a")); err != nil || len(todoA) != 0 {
		t.Fatalf("clinic-a's work list after releasing: %v %v", todoA, err)
	}
	f.one("clinic-b", chain.EmergencyRelease{Access: access, Share: testCID(t, "share b")})
	rec, err := f.st.EmergencyAccess(ctx, access)
	if err != nil || len(rec.Releases) != 2 || rec.Clinician != testPub("dr-x") || rec.Purpose != chain.PurposeETREAT {
		t.Fatalf("access record: %+v %v", rec, err)
	}

	// A new authorization supersedes: accesses under the old one are refused,
	// and no clinic is asked to release for them any more.
	second := f.one("dr-y", f.access("dr-y")).Hash()
	newAuth := f.one("alice", f.authorization("v2", "clinic-a", "clinic-b")).Hash()
	if _, err := f.apply(f.sign("clinic-a", chain.EmergencyRelease{Access: second, Share: testCID(t, "late")})); !errors.Is(err, ErrConflict) {
		t.Fatalf("release under a superseded authorization: %v", err)
	}
	if todo, err := f.st.UnreleasedAccesses(ctx, testPub("clinic-a")); err != nil || len(todo) != 0 {
		t.Fatalf("work list after supersession: %v %v", todo, err)
	}
	if _, err := f.apply(f.sign("dr-x", f.access("dr-x"))); !errors.Is(err, ErrConflict) {
		t.Fatalf("access under the superseded authorization: %v", err)
	}
	cur, err := f.st.EmergencyAuthorization(testPub("alice"))
	if err != nil || cur.ID != newAuth || cur.Threshold != 2 || !cur.Holds(testPub("clinic-b")) {
		t.Fatalf("authorization in force: %+v %v", cur, err)
	}

	// Revoke withdraws it: no authorization in force, accesses refused.
	f.one("alice", chain.ConsentRevoke{Grant: newAuth})
	if _, err := f.st.EmergencyAuthorization(testPub("alice")); !errors.Is(err, ErrNotFound) {
		t.Fatalf("authorization after revoke: %v", err)
	}
	f.auth = newAuth
	if _, err := f.apply(f.sign("dr-x", f.access("dr-x"))); !errors.Is(err, ErrNotFound) {
		t.Fatalf("access after revoke: %v", err)
	}

	// The audit log shows it all, with times.
	h, err := f.st.History(ctx, testPub("alice"))
	if err != nil {
		t.Fatal(err)
	}
	count := map[EventKind]int{}
	for _, e := range h {
		count[e.Kind]++
		if e.Time == 0 {
			t.Fatalf("event %v without a time", e)
		}
	}
	want := map[EventKind]int{EventEmergencyAuthorize: 2, EventEmergencyAccess: 2, EventEmergencyRelease: 2, EventEmergencyRevoke: 1, EventGrant: 2}
	for k, n := range want {
		if count[k] != n {
			t.Errorf("%d %s events, want %d (%v)", count[k], k, n, count)
		}
	}
}

func TestGrantCapsuleRules(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.one("alice", chain.GrantCapsule{Grant: f.grantX, Capsule: testCID(t, "later records")})
	f.one("alice", chain.GrantCapsule{Grant: f.grantX, Capsule: testCID(t, "even later")})
	caps, err := f.st.GrantCapsules(ctx, f.grantX)
	if err != nil || len(caps) != 2 || string(caps[0]) != string(testCID(t, "later records").Bytes()) {
		t.Fatalf("capsules: %x %v", caps, err)
	}
	refs, err := f.st.References(ctx, 0, f.number)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(refs, func(r Reference) bool { return r.CID == testCID(t, "even later") && r.Capsule }) {
		t.Fatal("an added capsule is not among the references a clinic pins")
	}
	// A write-only grant takes no keys; a revoked or expired grant takes no more.
	w := f.one("alice", chain.ConsentGrant{Grantee: testPub("dr-y"), Scope: chain.NewScope(nil, []chain.Category{chain.CategoryOther}),
		Actions: chain.ActionWrite, Purpose: chain.PurposeTREAT, NotBefore: f.time, Expiry: f.time + 10}).Hash()
	if _, err := f.apply(f.sign("alice", chain.GrantCapsule{Grant: w, Capsule: testCID(t, "x")})); !errors.Is(err, chain.ErrInvalid) {
		t.Fatalf("capsule for a write-only grant: %v", err)
	}
	f.one("alice", chain.ConsentRevoke{Grant: f.grantY})
	if _, err := f.apply(f.sign("alice", chain.GrantCapsule{Grant: f.grantY, Capsule: testCID(t, "x")})); !errors.Is(err, ErrConflict) {
		t.Fatalf("capsule for a revoked grant: %v", err)
	}
	f.time += 2000 // past grantX's expiry
	if _, err := f.apply(f.sign("alice", chain.GrantCapsule{Grant: f.grantX, Capsule: testCID(t, "x")})); !errors.Is(err, chain.ErrInvalid) {
		t.Fatalf("capsule for an expired grant: %v", err)
	}
}

// Every new table is reverted exactly (the dump covers them).
func TestRevertKeyRelease(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	before := dump(t, f.st)
	steps := [][]func() *chain.Tx{
		{func() *chain.Tx { return f.sign("clinic-a", chain.ClinicKey{Identity: identityOf("clinic-a")}) },
			func() *chain.Tx {
				return f.sign("alice", chain.GrantCapsule{Grant: f.grantX, Capsule: testCID(t, "c")})
			}},
		{func() *chain.Tx {
			return f.sign("alice", chain.EmergencyAuthorization{Summary: testCID(t, "s"), Shares: testCID(t, "sh"), Threshold: 1, Holders: holders("clinic-a")})
		}},
	}
	var auth chain.Hash
	var dumps []string
	for _, step := range steps {
		dumps = append(dumps, dump(t, f.st))
		var txs []*chain.Tx
		for _, mk := range step {
			txs = append(txs, mk())
		}
		if _, err := f.apply(txs...); err != nil {
			t.Fatal(err)
		}
		auth = txs[len(txs)-1].Hash()
	}
	dumps = append(dumps, dump(t, f.st))
	access := f.one("dr-x", chain.EmergencyAccess{Patient: testPub("alice"), Authorization: auth, Purpose: chain.PurposeBTG}).Hash()
	dumps = append(dumps, dump(t, f.st))
	if _, err := f.apply(f.sign("clinic-a", chain.EmergencyRelease{Access: access, Share: testCID(t, "r")}),
		f.sign("alice", chain.ConsentRevoke{Grant: auth})); err != nil {
		t.Fatal(err)
	}
	for i := len(dumps) - 1; i >= 0; i-- {
		n, _, _, _ := f.st.Head()
		if err := f.st.RevertBlock(ctx, n); err != nil {
			t.Fatal(err)
		}
		if got := dump(t, f.st); got != dumps[i] {
			t.Fatalf("after reverting block %d:\n%s\nwant\n%s", n, got, dumps[i])
		}
	}
	if dump(t, f.st) != before {
		t.Fatal("not back to the start")
	}
}
