package rx

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/healthwallet/healthwallet/chain"
	"github.com/healthwallet/healthwallet/chain/state"
)

var _ Ledger = (*state.State)(nil)

// writeAs writes o as the named clinician for alice at written.
func writeAs(t testing.TB, name string, o Order, written time.Time) *Prescription {
	t.Helper()
	p, err := write(o, testKey(name), "Dr. "+name, testID("alice"), written, &detReader{seed: name + written.String()})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// credentialOf is the hash the ledger helper gives a credential.
func credentialOf(issuer, subject string, kind chain.CredentialKind) chain.Hash {
	return sha256.Sum256([]byte(issuer + "/" + subject + "/" + kind.String()))
}

// TestVerdicts is the pharmacist's side of the fraud table: each attempt on
// a real chain state, with what the chain itself refused on the way, and the
// reasons the verdict gives, most serious first.
func TestVerdicts(t *testing.T) {
	written := testWritten
	later := written.Add(24 * time.Hour)
	type scenario struct {
		p          *Prescription
		commitErr  error     // what the chain said to the commitment; nil: accepted, or not tried
		now        time.Time // when the pharmacist looks; zero: later
		wantDetail string    // in the first failed check's detail
	}
	cases := []struct {
		name  string
		setup func(t *testing.T, l *ledger) scenario
		want  []error // nil: passes
	}{
		{"valid", func(t *testing.T, l *ledger) scenario {
			p := writeTest(t, realisticOrder(), written)
			return scenario{p: p, commitErr: l.commit("dr-x", p)}
		}, nil},
		{"valid, prescriber revoked after writing", func(t *testing.T, l *ledger) scenario {
			p := writeTest(t, realisticOrder(), written)
			err := l.commit("dr-x", p)
			l.must("board", chain.CredentialStatusChange{Credential: credentialOf("board", "dr-x", chain.KindPrescriber), Status: chain.StatusRevoked})
			return scenario{p: p, commitErr: err}
		}, nil},
		{"forged: signed by a key with no credential", func(t *testing.T, l *ledger) scenario {
			p := writeAs(t, "mallory", realisticOrder(), written)
			return scenario{p: p, commitErr: l.commit("mallory", p), wantDetail: "never held a prescriber credential"}
		}, []error{ErrForged, ErrUnknown}},
		{"forged: credential from a non-admitted authority", func(t *testing.T, l *ledger) scenario {
			err := l.send(l.now().Add(2*time.Second), "fake-board", chain.CredentialAnchor{
				Credential: credentialOf("fake-board", "mallory", chain.KindPrescriber), Subject: testPub("mallory"),
				Kind: chain.KindPrescriber, ValidFrom: l.time - 86400, ValidUntil: l.time + 365*86400})
			if !errors.Is(err, state.ErrUnauthorized) {
				t.Fatalf("the chain took a credential from a non-admitted authority: %v", err)
			}
			p := writeAs(t, "mallory", realisticOrder(), written)
			return scenario{p: p, commitErr: l.commit("mallory", p)}
		}, []error{ErrForged, ErrUnknown}},
		{"prescriber revoked before writing", func(t *testing.T, l *ledger) scenario {
			l.must("board", chain.CredentialStatusChange{Credential: credentialOf("board", "dr-x", chain.KindPrescriber), Status: chain.StatusRevoked})
			p := writeTest(t, realisticOrder(), written)
			return scenario{p: p, commitErr: l.commit("dr-x", p), wantDetail: "was revoked"}
		}, []error{ErrPrescriberInvalid, ErrUnknown}},
		{"written while suspended", func(t *testing.T, l *ledger) scenario {
			l.must("board", chain.CredentialStatusChange{Credential: credentialOf("board", "dr-x", chain.KindPrescriber), Status: chain.StatusSuspended})
			p := writeTest(t, realisticOrder(), written)
			return scenario{p: p, commitErr: l.commit("dr-x", p), wantDetail: "was suspended"}
		}, []error{ErrPrescriberInvalid, ErrUnknown}},
		{"suspended and reinstated before writing", func(t *testing.T, l *ledger) scenario {
			h := credentialOf("board", "dr-x", chain.KindPrescriber)
			l.must("board", chain.CredentialStatusChange{Credential: h, Status: chain.StatusSuspended})
			l.must("board", chain.CredentialStatusChange{Credential: h, Status: chain.StatusActive})
			p := writeTest(t, realisticOrder(), written)
			return scenario{p: p, commitErr: l.commit("dr-x", p)}
		}, nil},
		{"issuer removed before writing", func(t *testing.T, l *ledger) scenario {
			l.remove("board")
			p := writeTest(t, realisticOrder(), written)
			return scenario{p: p, commitErr: l.commit("dr-x", p), wantDetail: "no longer admitted"}
		}, []error{ErrPrescriberInvalid, ErrUnknown}},
		{"licence expired before writing", func(t *testing.T, l *ledger) scenario {
			l.must("board", chain.CredentialAnchor{Credential: credentialOf("board", "dr-short", chain.KindPrescriber),
				Subject: testPub("dr-short"), Kind: chain.KindPrescriber, ValidFrom: l.time - 86400, ValidUntil: l.time + 60})
			p := writeAs(t, "dr-short", realisticOrder(), written)
			return scenario{p: p, commitErr: l.commit("dr-short", p), wantDetail: "had expired"}
		}, []error{ErrPrescriberInvalid, ErrUnknown}},
		{"altered dose", func(t *testing.T, l *ledger) scenario {
			p := writeTest(t, realisticOrder(), written)
			err := l.commit("dr-x", p)
			p.Request = bytes.Replace(p.Request, []byte(`"Take 1 tablet`), []byte(`"Take 4 tablets`), 1)
			return scenario{p: p, commitErr: err, wantDetail: "does not verify"}
		}, []error{ErrAltered, ErrUnknown}},
		{"altered quantity", func(t *testing.T, l *ledger) scenario {
			p := writeTest(t, realisticOrder(), written)
			err := l.commit("dr-x", p)
			p.Request = bytes.Replace(p.Request, []byte(`"value":30`), []byte(`"value":300`), 1)
			return scenario{p: p, commitErr: err}
		}, []error{ErrAltered, ErrUnknown}},
		{"chain allows more dispenses than signed", func(t *testing.T, l *ledger) scenario {
			p := writeTest(t, realisticOrder(), written)
			c := p.Commit()
			c.Dispenses = chain.MaxDispenses
			return scenario{p: p, commitErr: l.send(written, "dr-x", c), wantDetail: "the ledger allows 12 dispenses"}
		}, []error{ErrAltered}},
		{"chain expiry later than signed", func(t *testing.T, l *ledger) scenario {
			p := writeTest(t, realisticOrder(), written)
			c := p.Commit()
			c.Expiry += 86400
			return scenario{p: p, commitErr: l.send(written, "dr-x", c)}
		}, []error{ErrAltered}},
		{"committed by another prescriber", func(t *testing.T, l *ledger) scenario {
			l.issue("board", "dr-y", chain.KindPrescriber)
			p := writeTest(t, realisticOrder(), written)
			return scenario{p: p, commitErr: l.commit("dr-y", p), wantDetail: "not by the prescriber who signed it"}
		}, []error{ErrForged}},
		{"never committed", func(t *testing.T, l *ledger) scenario {
			return scenario{p: writeTest(t, realisticOrder(), written), wantDetail: "no commitment"}
		}, []error{ErrUnknown}},
		{"salt changed", func(t *testing.T, l *ledger) scenario {
			p := writeTest(t, realisticOrder(), written)
			err := l.commit("dr-x", p)
			p.Salt[31] ^= 1
			return scenario{p: p, commitErr: err}
		}, []error{ErrUnknown}},
		{"expired", func(t *testing.T, l *ledger) scenario {
			o := realisticOrder()
			o.ValidUntil = written.Add(time.Hour)
			p := writeTest(t, o, written)
			return scenario{p: p, commitErr: l.commit("dr-x", p), now: written.Add(time.Hour + time.Second), wantDetail: "could be dispensed until"}
		}, []error{ErrExpired}},
		{"last second of validity", func(t *testing.T, l *ledger) scenario {
			o := realisticOrder()
			o.ValidUntil = written.Add(time.Hour)
			p := writeTest(t, o, written)
			return scenario{p: p, commitErr: l.commit("dr-x", p), now: written.Add(time.Hour + 999*time.Millisecond)}
		}, nil},
		{"already dispensed", func(t *testing.T, l *ledger) scenario {
			o := realisticOrder()
			o.Refills = 0
			p := writeTest(t, o, written)
			err := l.commit("dr-x", p)
			l.must("pharm-1", chain.Dispense{Commitment: p.Commitment(), Seq: 1})
			// A second pharmacy trying the same prescription: refused by the chain too.
			if err := l.send(l.now().Add(2*time.Second), "pharm-2", chain.Dispense{Commitment: p.Commitment(), Seq: 2}); !errors.Is(err, state.ErrConflict) {
				t.Fatalf("the chain took a second dispense of a single-dispense prescription: %v", err)
			}
			return scenario{p: p, commitErr: err, wantDetail: "dispensed 1 of 1 times"}
		}, []error{ErrAlreadyDispensed}},
		{"expired and used up", func(t *testing.T, l *ledger) scenario {
			o := realisticOrder()
			o.Refills, o.ValidUntil = 0, written.Add(time.Hour)
			p := writeTest(t, o, written)
			err := l.commit("dr-x", p)
			l.must("pharm-1", chain.Dispense{Commitment: p.Commitment(), Seq: 1})
			return scenario{p: p, commitErr: err}
		}, []error{ErrExpired, ErrAlreadyDispensed}},
	}
	refusedCommit := map[string]bool{
		"forged: signed by a key with no credential": true, "forged: credential from a non-admitted authority": true,
		"prescriber revoked before writing": true, "written while suspended": true, "issuer removed before writing": true,
		"licence expired before writing": true,
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l := newWorld(t)
			sc := tc.setup(t, l)
			if refusedCommit[tc.name] != (sc.commitErr != nil) {
				t.Fatalf("the chain's answer to the commitment: %v", sc.commitErr)
			}
			if sc.commitErr != nil && !errors.Is(sc.commitErr, state.ErrUnauthorized) {
				t.Fatalf("the chain refused the commitment for another reason: %v", sc.commitErr)
			}
			now := sc.now
			if now.IsZero() {
				now = later
			}
			v, err := Verify(sc.p, l.st, now)
			if err != nil {
				t.Fatal(err)
			}
			checkVerdict(t, v, tc.want)
			if len(v.Checks) != 5 {
				t.Fatalf("%d checks, want 5", len(v.Checks))
			}
			if tc.want == nil {
				if v.PrescriberCredential == nil || v.IssuerName != "Demo Medical Board" || v.Remaining != int(sc.p.Dispenses) ||
					!v.Committed.Equal(written) || v.Order.Medication.Code != "197361" {
					t.Fatalf("passing verdict lacks details: %+v", v)
				}
				return
			}
			if sc.wantDetail != "" {
				for _, c := range v.Checks {
					if !c.OK {
						if !strings.Contains(c.Detail, sc.wantDetail) {
							t.Fatalf("first failed check %q says %q, want %q", c.Name, c.Detail, sc.wantDetail)
						}
						break
					}
				}
			}

			// Whatever the text the patient brings, the verdict is the same.
			tv, err := VerifyText(sc.p.Encode(), l.st, now)
			if err != nil {
				t.Fatal(err)
			}
			checkVerdict(t, tv, tc.want)
		})
	}
}

// checkVerdict compares a verdict's reasons with want, in order, and checks
// that OK, the checks and the reasons agree.
func checkVerdict(t *testing.T, v Verdict, want []error) {
	t.Helper()
	if v.OK != (len(want) == 0) || len(v.Reasons) != len(want) {
		t.Fatalf("verdict OK=%v reasons %v; want %v\n%s", v.OK, v.Reasons, want, describe(v))
	}
	for i := range want {
		if !errors.Is(v.Reasons[i], want[i]) {
			t.Fatalf("reason %d is %v, want %v\n%s", i, v.Reasons[i], want[i], describe(v))
		}
	}
	failed := 0
	for _, c := range v.Checks {
		if c.OK == (c.Err != nil) || c.Name == "" || c.Detail == "" {
			t.Fatalf("inconsistent check %+v", c)
		}
		if !c.OK {
			failed++
		}
	}
	if v.OK != (failed == 0) {
		t.Fatalf("OK=%v with %d failed checks", v.OK, failed)
	}
}

func describe(v Verdict) string {
	var b strings.Builder
	for _, c := range v.Checks {
		fmt.Fprintf(&b, "  %-40s %-5v %s\n", c.Name, c.OK, c.Detail)
	}
	return b.String()
}

// TestVerifyDispensesCountDown: each dispense on chain takes one off, and
// the verdict follows; the last one leaves none and refuses.
func TestVerifyDispensesCountDown(t *testing.T) {
	l := newWorld(t)
	o := realisticOrder()
	o.Refills = 2
	p := writeTest(t, o, testWritten)
	if err := l.commit("dr-x", p); err != nil {
		t.Fatal(err)
	}
	text := p.Encode()
	for seq := uint8(1); seq <= 3; seq++ {
		v, err := VerifyText(text, l.st, l.now())
		if err != nil {
			t.Fatal(err)
		}
		if !v.OK || v.Remaining != int(4-seq) {
			t.Fatalf("before dispense %d: OK=%v remaining %d\n%s", seq, v.OK, v.Remaining, describe(v))
		}
		pharmacist := []string{"pharm-1", "pharm-2"}[seq%2]
		l.must(pharmacist, chain.Dispense{Commitment: v.Prescription.Commitment(), Seq: seq})
	}
	v, err := VerifyText(text, l.st, l.now())
	if err != nil {
		t.Fatal(err)
	}
	checkVerdict(t, v, []error{ErrAlreadyDispensed})
	if v.Remaining != 0 || !strings.Contains(v.Checks[5].Detail, "dispensed 3 of 3 times") {
		t.Fatalf("after the last dispense: remaining %d, %q", v.Remaining, v.Checks[5].Detail)
	}
}

func TestVerifyTextMalformed(t *testing.T) {
	l := newWorld(t)
	for _, text := range []string{"", "hello", TextPrefix + "AAAA", testID("alice")} {
		v, err := VerifyText(text, l.st, l.now())
		if err != nil {
			t.Fatalf("%q: %v", text, err)
		}
		checkVerdict(t, v, []error{ErrMalformed})
		if len(v.Checks) != 1 || v.Checks[0].Name != CheckReadable || v.Prescription != nil {
			t.Fatalf("%q: %+v", text, v)
		}
	}
	if v, err := Verify(nil, l.st, l.now()); err != nil || v.OK || !errors.Is(v.Reasons[0], ErrMalformed) {
		t.Fatalf("Verify(nil) = %+v, %v", v, err)
	}
}

// TestVerifyLedgerFailure: a state that cannot be read is an error, not a
// refusal.
func TestVerifyLedgerFailure(t *testing.T) {
	l := newWorld(t)
	p := writeTest(t, realisticOrder(), testWritten)
	if err := l.commit("dr-x", p); err != nil {
		t.Fatal(err)
	}
	l.st.Close()
	if v, err := Verify(p, l.st, l.now()); err == nil {
		t.Fatalf("Verify on a closed state gave no error: %+v", v)
	}
}
