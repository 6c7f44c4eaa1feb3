package wallet_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/healthwallet/healthwallet/chain"
	"github.com/healthwallet/healthwallet/chain/ledger"
	"github.com/healthwallet/healthwallet/wallet"
	"github.com/healthwallet/healthwallet/wallet/fhir"
)

// needles collects, from Synthea NDJSON files, what must never appear in
// plaintext outside the patient's and the grantee's wallets: names,
// identifiers, condition, procedure, medication and vaccine texts.
func needles(t *testing.T, files []string) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	add := func(s any) {
		if str, ok := s.(string); ok && len(str) >= 8 {
			out[str] = true
		}
	}
	var walkCodes func(v any)
	walkCodes = func(v any) {
		m, ok := v.(map[string]any)
		if !ok {
			return
		}
		add(m["text"])
		if codings, ok := m["coding"].([]any); ok {
			for _, c := range codings {
				if cm, ok := c.(map[string]any); ok {
					add(cm["display"])
				}
			}
		}
	}
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(fh)
		sc.Buffer(make([]byte, 1<<20), 64<<20)
		for sc.Scan() {
			var r map[string]any
			if json.Unmarshal(sc.Bytes(), &r) != nil {
				continue
			}
			switch r["resourceType"] {
			case "Patient":
				for _, n := range asList(r["name"]) {
					nm, _ := n.(map[string]any)
					add(nm["family"])
					for _, g := range asList(nm["given"]) {
						add(g)
					}
				}
				for _, id := range asList(r["identifier"]) {
					if im, ok := id.(map[string]any); ok {
						add(im["value"])
					}
				}
			case "Condition", "Procedure", "AllergyIntolerance":
				walkCodes(r["code"])
			case "MedicationRequest":
				walkCodes(r["medicationCodeableConcept"])
			case "Immunization":
				walkCodes(r["vaccineCode"])
			}
		}
		fh.Close()
	}
	return out
}

func asList(v any) []any { l, _ := v.([]any); return l }

// The privacy proof: a patient imports the Synthea bulk set (10 patients)
// and shares their conditions, allergies, immunizations and demographics
// with a clinician; then every file the clinic node holds — its copy of the
// chain (block store and state, with their WALs) and its IPFS blockstore
// with every pinned ciphertext and capsule — and every block of the chain
// are searched for every name, identifier and clinical text of the input:
// none may appear.
func TestPrivacyNoPlaintextOnChainOrClinic(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 180*time.Second)
	defer cancel()
	files := bulkFiles(t)
	secrets := needles(t, files)
	if len(secrets) < 100 {
		t.Fatalf("only %d needles", len(secrets))
	}
	dirs, g := consortium(t, "hw-privacy-test", []string{"clinic", "doctor", "patient"}, []string{"clinic"})
	clinic := onChain(t, dirs["clinic"], g, 1<<30)
	doctor := onChain(t, dirs["doctor"], g, 0)
	defer doctor.Close()
	patient := onChain(t, dirs["patient"], g, 0)
	defer patient.Close()
	sctx, stopSealer := context.WithCancel(ctx)
	sealed := make(chan error, 1)
	go func() { sealed <- clinic.RunSealer(sctx) }()
	for _, w := range []*wallet.Wallet{doctor, patient} {
		if err := w.ConnectPeer(ctx, clinic.Addrs()[0]); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range files {
		if _, err := patient.ImportFile(ctx, f, nil); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := clinic.RegisterClinician(ctx, doctor.Public(), chain.RolePhysician); err != nil {
		t.Fatal(err)
	}
	if err := doctor.Ledger().WaitFor(ctx, func(ledger.Tip) bool {
		_, err := doctor.Ledger().State().Clinician(doctor.ChainKey())
		return err == nil
	}); err != nil {
		t.Fatal(err)
	}
	categories := []string{"conditions", "allergies", "immunizations", "patient"}
	reqID, err := doctor.RequestAccess(ctx, patient.ID(), wallet.AccessRequest{Categories: categories, Purpose: chain.PurposeTREAT, Duration: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if err := patient.Ledger().WaitFor(ctx, func(ledger.Tip) bool { p, _ := patient.PendingRequests(ctx); return len(p) == 1 }); err != nil {
		t.Fatal(err)
	}
	want := 0
	for _, c := range categories {
		recs, _ := patient.List(ctx, wallet.Query{Category: c})
		want += len(recs)
	}
	if _, err := patient.Approve(ctx, reqID, wallet.Approval{}); err != nil {
		t.Fatal(err)
	}
	var shared []wallet.SharedRecord
	waitFor(t, 120*time.Second, "the doctor seeing every shared record", func() bool {
		shared, _ = doctor.Shared(ctx, patient.ChainKey())
		return len(shared) == want
	})
	if _, err := doctor.ReadShared(ctx, shared[0]); err != nil { // the flow works: this is a real share
		t.Fatal(err)
	}
	// An emergency summary (names, allergies, medications, conditions) is
	// authorised and opened: its ciphertext, the sealed shares and the
	// released share reach the clinic too.
	if err := patient.Ledger().WaitFor(ctx, func(ledger.Tip) bool {
		_, err := patient.Ledger().State().ClinicIdentity(clinic.ChainKey())
		return err == nil
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := patient.AuthorizeEmergency(ctx, fhir.EmergencyExtras{BloodGroup: "A-", ContactName: "Kin Privacy", ContactPhone: "+1 555 0199"}); err != nil {
		t.Fatal(err)
	}
	secrets["Kin Privacy"] = true
	if err := doctor.Ledger().WaitFor(ctx, func(ledger.Tip) bool {
		_, err := doctor.Ledger().State().EmergencyAuthorization(patient.ChainKey())
		return err == nil
	}); err != nil {
		t.Fatal(err)
	}
	access, err := doctor.OpenEmergency(ctx, patient.ChainKey(), chain.PurposeBTG, "")
	if err != nil {
		t.Fatal(err)
	}
	if summary, err := doctor.EmergencySummary(ctx, access); err != nil || !bytes.Contains(summary, []byte("Kin Privacy")) {
		t.Fatalf("emergency summary: %v", err)
	}
	// (The released share the clinic made itself, pinned as it made it.)
	waitFor(t, 120*time.Second, "the clinic pinning every shared ciphertext, the capsule and the emergency summary and shares", func() bool {
		st, _ := clinic.ChainStatus()
		return st.Pinning != nil && st.Pinning.Pinned >= want+1+2
	})
	// Every block of the chain, as encoded.
	var dump bytes.Buffer
	head := clinic.Ledger().Head().Number
	for from := uint64(0); from <= head; {
		raw, err := clinic.Ledger().CanonicalRange(ctx, from, 128, 8<<20)
		if err != nil || len(raw) == 0 {
			t.Fatalf("chain dump at %d: %v", from, err)
		}
		for _, b := range raw {
			dump.Write(b)
		}
		from += uint64(len(raw))
	}
	stopSealer()
	<-sealed
	if err := clinic.Close(); err != nil {
		t.Fatal(err)
	}
	haystacks := map[string][]byte{"chain dump": dump.Bytes()}
	filepath.WalkDir(dirs["clinic"], func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if b, err := os.ReadFile(path); err == nil {
				haystacks[path] = b
			}
		}
		return nil
	})
	size := 0
	for _, h := range haystacks {
		size += len(h)
	}
	if size < want*200 {
		t.Fatalf("clinic holds %d bytes for %d records: not the ciphertexts", size, want)
	}
	for s := range secrets {
		for name, h := range haystacks {
			if bytes.Contains(h, []byte(s)) {
				t.Errorf("%q in plaintext in %s", s, name)
			}
		}
	}
	t.Logf("%d needles searched in %d files (%d bytes) and %d chain blocks; %d records shared", len(secrets), len(haystacks)-1, size, head+1, want)
}
