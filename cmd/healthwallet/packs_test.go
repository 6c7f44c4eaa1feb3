package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/healthwallet/healthwallet/chain/ledger"
	"github.com/healthwallet/healthwallet/wallet/pack"
)

const cliGTIN = "09506000134352" // GS1's own example GTIN

func cliPack(gtin, serial, lot, expiry string) string {
	return fmt.Sprintf("(01)%s(21)%s(10)%s(17)%s", gtin, serial, lot, expiry)
}

// shipmentID reads the shipment's ID from ship's output.
var shipmentID = regexp.MustCompile(`shipment ([0-9a-f]{64})`)

// The medicine supply chain from the command line, on the consortium of
// TestCLICredentials: a clinic registers a manufacturer, a wholesaler and
// two pharmacies; the manufacturer commissions batches (numbered serials
// and a file of them), custody moves by ship and receive to the
// pharmacies; shipments by the wrong party and receipts of no shipment
// are refused; the manufacturer recalls a batch and a pack and
// quarantines another. A pharmacy's verify-pack passes a genuine pack
// (also as a scanner types it into standard input) and dispenses it once;
// every fraud of the issue is refused by verify-pack and dispense-pack
// with exit status 1 and its reason named first; a patient checks the
// pack, keeps it and is alerted of its recall; a scan still judges with
// the network cut.
func TestCLIPacks(t *testing.T) {
	n := newLicensedNet(t, "cli-packs", "maker", "wholesaler", "pharmacy", "pharmacy2", "patient")

	// Registering organisations: a clinic, not a patient; the role and
	// GLN checked before anything is sent.
	if code, _, errs := n.capture("patient", "org", "register", n.ids["pharmacy"], "--role", "pharmacy", "--name", "Not A Pharmacy"); code != 1 || !strings.Contains(errs, "only a clinic that seals the chain or an admitted authority") {
		t.Fatalf("a patient registers an organisation: exit %d: %s", code, errs)
	}
	for _, bad := range [][]string{
		{"--role", "chemist", "--name", "X"},
		{"--role", "pharmacy", "--name", "X", "--gln", "9506003000013"},
		{"--role", "pharmacy"},
	} {
		if code, _, errs := n.capture("south", append([]string{"org", "register", n.ids["pharmacy"]}, bad...)...); code != 2 {
			t.Fatalf("org register %v: exit %d: %s", bad, code, errs)
		}
	}
	for _, o := range []struct{ who, role, name, gln string }{
		{"maker", "manufacturer", "Test Pharma", "9506001000014"}, {"wholesaler", "wholesaler", "Test Wholesale", ""},
		{"pharmacy", "pharmacy", "Market Pharmacy", "9506003000012"}, {"pharmacy2", "pharmacy", "Station Pharmacy", ""},
	} {
		args := []string{"org", "register", n.ids[o.who], "--role", o.role, "--name", o.name}
		if o.gln != "" {
			args = append(args, "--gln", o.gln)
		}
		if out := n.must("south", args...); !strings.HasPrefix(out, "Registered "+o.name+" as a "+o.role) {
			t.Fatalf("org register %s: %s", o.name, out)
		}
	}
	if list := n.must("patient", "org", "list"); !regexp.MustCompile(`Test Pharma\s+manufacturer\s+9506001000014\s+registered .*South`).MatchString(list) ||
		!strings.Contains(list, "Station Pharmacy") {
		t.Fatalf("org list:\n%s", list)
	}

	// Commissioning: numbered serials, a file of them; not by a pharmacy,
	// not with a bad check digit.
	code, out, _ := n.capture("maker", "batch", "commission", "--gtin", cliGTIN, "--lot", "L1", "--expiry", "301231", "--count", "100", "--prefix", "S")
	t.Logf("batch commission:\n%s", out)
	if code != 0 || !strings.HasPrefix(out, "Commissioned 100 packs of "+cliGTIN+" lot L1, expiry 301231") ||
		!regexp.MustCompile(`Merkle root\s+[0-9a-f]{64}`).MatchString(out) || !regexp.MustCompile(`serial list\s+b\w+ \(pinned in IPFS\)`).MatchString(out) ||
		!regexp.MustCompile(`took\s+[0-9.]+m?s`).MatchString(out) {
		t.Fatalf("batch commission: exit %d:\n%s", code, out)
	}
	serialFile := filepath.Join(t.TempDir(), "l3.txt")
	if err := os.WriteFile(serialFile, []byte("R0001\nR0002\n\nR0003\r\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if out := n.must("maker", "batch", "commission", "--gtin", cliGTIN, "--lot", "L3", "--expiry", "301231", "--serials", serialFile); !strings.HasPrefix(out, "Commissioned 3 packs") {
		t.Fatalf("batch commission --serials: %s", out)
	}
	n.must("maker", "batch", "commission", "--gtin", cliGTIN, "--lot", "OLD", "--expiry", "250131", "--count", "5", "--prefix", "X")
	if code, _, errs := n.capture("pharmacy", "batch", "commission", "--gtin", cliGTIN, "--lot", "P1", "--expiry", "301231", "--count", "5"); code != 1 || !strings.Contains(errs, "not a registered organisation") {
		t.Fatalf("a pharmacy commissions: exit %d: %s", code, errs)
	}
	if code, _, errs := n.capture("maker", "batch", "commission", "--gtin", "09506000134353", "--lot", "L9", "--expiry", "301231", "--count", "5"); code != 2 || !strings.Contains(errs, "check digit") {
		t.Fatalf("a bad check digit commissioned: exit %d: %s", code, errs)
	}

	// Custody: maker → wholesaler (all of L1) → pharmacy (S0001–S0020, a
	// file) and pharmacy 2 (S0021–S0030, a list); L3 and OLD straight to
	// the pharmacy.
	ship := func(who, to, lot string, extra ...string) string {
		t.Helper()
		out := n.must(who, append([]string{"ship", "--gtin", cliGTIN, "--lot", lot, "--to", n.ids[to]}, extra...)...)
		m := shipmentID.FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("ship: %s", out)
		}
		return m[1]
	}
	receive := func(who, id string) {
		t.Helper()
		if out := n.must(who, "shipments", "--pending"); !strings.Contains(out, id) {
			t.Fatalf("%s's pending shipments lack %s:\n%s", who, id, out)
		}
		if out := n.must(who, "receive", id); !strings.HasPrefix(out, "Received ") || !strings.Contains(out, "custody is yours") {
			t.Fatalf("receive: %s", out)
		}
	}
	receive("wholesaler", ship("maker", "wholesaler", "L1"))
	var first20 []string
	for i := 1; i <= 20; i++ {
		first20 = append(first20, fmt.Sprintf("S%04d", i))
	}
	toPharmacy := filepath.Join(t.TempDir(), "to-pharmacy.txt")
	if err := os.WriteFile(toPharmacy, []byte(strings.Join(first20, "\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	receive("pharmacy", ship("wholesaler", "pharmacy", "L1", "--serials", toPharmacy))
	receive("pharmacy2", ship("wholesaler", "pharmacy2", "L1", "--serials", "S0021,S0022,S0023,S0024,S0025,S0026,S0027,S0028,S0029,S0030"))
	receive("pharmacy", ship("maker", "pharmacy", "L3"))
	receive("pharmacy", ship("maker", "pharmacy", "OLD"))
	if out := n.must("pharmacy", "shipments"); strings.Count(out, "Test Pharma") != 2 || strings.Count(out, "Test Wholesale") != 1 || regexp.MustCompile(`(?m)\sno$`).MatchString(out) {
		t.Fatalf("the pharmacy's shipments:\n%s", out)
	}

	// A shipment signed by someone who does not hold the packs; receipts by
	// someone the shipment is not for, and of no shipment at all.
	if code, _, errs := n.capture("pharmacy2", "ship", "--gtin", cliGTIN, "--lot", "L1", "--to", n.ids["wholesaler"], "--serials", "S0010"); code != 1 || !strings.Contains(errs, "not authorized") {
		t.Fatalf("a shipment of packs another pharmacy holds: exit %d: %s", code, errs)
	}
	stray := ship("wholesaler", "pharmacy", "L1", "--serials", "S0031")
	if code, _, errs := n.capture("pharmacy2", "receive", stray); code != 1 || !strings.Contains(errs, "not authorized") {
		t.Fatalf("a receipt by someone the shipment is not for: exit %d: %s", code, errs)
	}
	if code, _, errs := n.capture("pharmacy", "receive", strings.Repeat("01", 32)); code != 1 || !strings.Contains(errs, "not found") {
		t.Fatalf("a receipt without a matching shipment: exit %d: %s", code, errs)
	}

	// Recalls: the whole of L3, the single pack S0003; S0005 in quarantine.
	if out := n.must("maker", "recall", "--gtin", cliGTIN, "--lot", "L3"); !strings.HasPrefix(out, "Recalled: the whole batch") {
		t.Fatalf("recall: %s", out)
	}
	n.must("maker", "recall", "--gtin", cliGTIN, "--lot", "L1", "--serials", "S0003")
	if out := n.must("maker", "recall", "--gtin", cliGTIN, "--lot", "L1", "--serials", "S0005", "--quarantine"); !strings.HasPrefix(out, "Put in quarantine: 1 pack") {
		t.Fatalf("quarantine: %s", out)
	}

	// The genuine pack passes, also as a scanner types it into standard
	// input (the raw form with its GS separators), and is dispensed once.
	genuine := cliPack(cliGTIN, "S0001", "L1", "301231")
	code, out, _ = n.capture("pharmacy", "verify-pack", genuine)
	t.Logf("verify-pack:\n%s", out)
	if code != 0 || !strings.HasPrefix(out, "GENUINE — may be dispensed") || strings.Count(out, "✓ ") != 9 ||
		!strings.Contains(out, "made by Test Pharma (GLN 9506001000014)") || !strings.Contains(out, "held by Market Pharmacy") {
		t.Fatalf("verify-pack: exit %d:\n%s", code, out)
	}
	var stdout, stderr syncBuffer
	scan := "]d2\x1d01" + cliGTIN + "17301231" + "10L1\x1d21S0002\r\n"
	if code := run(context.Background(), []string{"--data-dir", n.dirs["pharmacy"], "verify-pack", "-"}, strings.NewReader(scan), &stdout, &stderr, passphraseEnv); code != 0 ||
		!strings.HasPrefix(stdout.String(), "GENUINE — may be dispensed") || !strings.Contains(stdout.String(), "serial S0002") {
		t.Fatalf("verify-pack -: exit %d:\n%s%s", code, stdout.String(), stderr.String())
	}
	code, out, _ = n.capture("pharmacy", "dispense-pack", genuine)
	if code != 0 || !strings.HasPrefix(out, "DISPENSED — recorded on the ledger") {
		t.Fatalf("dispense-pack: exit %d:\n%s", code, out)
	}

	// The fraud table: each refused by the scan and by the dispense, exit
	// status 1, its reason named first in the verdict.
	unknownGTIN := "09506000134369"
	for _, c := range []struct {
		name, at, code, headline, reason string
		check                            string // the check marked ✗
	}{
		{"unknown GTIN", "pharmacy", cliPack(unknownGTIN, "S0002", "L1", "301231"), "NOT GENUINE", "unknown product", pack.CheckBatch},
		{"serial not in the batch", "pharmacy", cliPack(cliGTIN, "S9999", "L1", "301231"), "NOT GENUINE", "serial number not in the batch", pack.CheckSerial},
		{"lot not on the ledger", "pharmacy", cliPack(cliGTIN, "S0002", "L7", "301231"), "NOT GENUINE", "lot mismatch", pack.CheckBatch},
		{"expiry differs from the batch", "pharmacy", cliPack(cliGTIN, "S0002", "L1", "301130"), "NOT GENUINE", "expiry mismatch", pack.CheckExpiryMatch},
		{"diverted: custody ends at another pharmacy", "pharmacy", cliPack(cliGTIN, "S0025", "L1", "301231"), "NOT TO BE DISPENSED", "diverted", pack.CheckCustody},
		{"diverted: still at the wholesaler", "pharmacy", cliPack(cliGTIN, "S0050", "L1", "301231"), "NOT TO BE DISPENSED", "diverted", pack.CheckCustody},
		{"recalled batch", "pharmacy", cliPack(cliGTIN, "R0001", "L3", "301231"), "NOT TO BE DISPENSED", "recalled", pack.CheckNotRecalled},
		{"recalled single serial", "pharmacy", cliPack(cliGTIN, "S0003", "L1", "301231"), "NOT TO BE DISPENSED", "recalled", pack.CheckNotRecalled},
		{"serial in quarantine", "pharmacy", cliPack(cliGTIN, "S0005", "L1", "301231"), "NOT TO BE DISPENSED", "in quarantine", pack.CheckNotRecalled},
		{"already dispensed", "pharmacy", genuine, "NOT TO BE DISPENSED", "already dispensed", pack.CheckNotDispensed},
		{"already dispensed, at another pharmacy", "pharmacy2", genuine, "NOT TO BE DISPENSED", "already dispensed", pack.CheckNotDispensed},
		{"expired", "pharmacy", cliPack(cliGTIN, "X0001", "OLD", "250131"), "NOT TO BE DISPENSED", "expired", pack.CheckNotExpired},
		{"bad GTIN check digit", "pharmacy", cliPack("09506000134353", "S0002", "L1", "301231"), "NOT GENUINE", "bad GTIN check digit", pack.CheckReadable},
		{"malformed element string", "pharmacy", "(01)0950600013435(21)S0002", "NOT GENUINE", "unreadable or malformed code", pack.CheckReadable},
	} {
		t.Run(c.name, func(t *testing.T) {
			want := c.headline + " — " + c.reason
			code, out, errs := n.capture(c.at, "verify-pack", c.code)
			if code != 1 || !strings.HasPrefix(out, want) || !strings.Contains(out, "✗ "+c.check+" — ") {
				t.Fatalf("verify-pack: exit %d, want 1 and %q, ✗ %s:\n%s%s", code, want, c.check, out, errs)
			}
			code, out, errs = n.capture(c.at, "dispense-pack", c.code)
			if code != 1 || !strings.HasPrefix(out, want) {
				t.Fatalf("dispense-pack: exit %d, want 1 and %q:\n%s%s", code, want, out, errs)
			}
		})
	}
	if code, _, errs := n.capture("patient", "dispense-pack", cliPack(cliGTIN, "S0004", "L1", "301231")); code != 2 || !strings.Contains(errs, "not a registered organisation") {
		t.Fatalf("a patient dispenses: exit %d: %s", code, errs)
	}
	if code, _, errs := n.capture("pharmacy", "verify-pack"); code != 2 || !strings.Contains(errs, "give the pack's code") {
		t.Fatalf("verify-pack without a code: exit %d: %s", code, errs)
	}

	// The patient checks the pack it was given (genuine whoever holds it),
	// keeps it, and is alerted when it is recalled; a counterfeit is not
	// kept.
	code, out, _ = n.capture("patient", "check-pack", genuine)
	if code != 0 || !strings.HasPrefix(out, "GENUINE — not recalled") || strings.Contains(out, pack.CheckCustody) {
		t.Fatalf("check-pack: exit %d:\n%s", code, out)
	}
	if code, out, _ := n.capture("patient", "link-pack", cliPack(cliGTIN, "S9999", "L1", "301231"), "--name", "Amlodipine 5 mg"); code != 1 || !strings.HasPrefix(out, "NOT KEPT — not a genuine pack: serial number not in the batch") {
		t.Fatalf("link-pack of a counterfeit: exit %d:\n%s", code, out)
	}
	if out := n.must("patient", "link-pack", genuine, "--name", "Amlodipine 5 mg"); !strings.HasPrefix(out, "Kept in your records as ") || !strings.Contains(out, "Amlodipine 5 mg, lot L1, serial S0001") {
		t.Fatalf("link-pack: %s", out)
	}
	if out := n.must("patient", "pack-alerts"); !strings.HasPrefix(out, "None of the packs in your records") {
		t.Fatalf("pack-alerts before the recall: %s", out)
	}
	n.must("maker", "recall", "--gtin", cliGTIN, "--lot", "L1", "--serials", "S0001")
	var alerts string
	waitFor(t, "the recall alert at the patient", 30*time.Second, func() bool {
		alerts = n.must("patient", "pack-alerts")
		return strings.HasPrefix(alerts, "RECALLED — "+cliGTIN+", lot L1, serial S0001")
	})
	if code, out, _ := n.capture("patient", "check-pack", genuine); code != 1 || !strings.HasPrefix(out, "NOT TO BE USED — recalled") {
		t.Fatalf("check-pack after the recall: exit %d:\n%s", code, out)
	}

	// The network cut: the pharmacy still judges from its copy of the
	// chain and the serial list it fetched.
	for _, halt := range n.nodes {
		halt()
	}
	code, out, errs := n.capture("pharmacy", "verify-pack", "--offline", cliPack(cliGTIN, "S0002", "L1", "301231"))
	if code != 0 || !strings.HasPrefix(out, "GENUINE — may be dispensed") || !strings.Contains(errs, "Judging from this wallet's copy of the chain") {
		t.Fatalf("verify-pack offline: exit %d:\n%s\n%s", code, out, errs)
	}
}

// passphraseEnv gives the CLI tests' wallets their passphrase.
func passphraseEnv(k string) string {
	if k == "HEALTHWALLET_PASSPHRASE" {
		return "cli access passphrase"
	}
	return ""
}

// Each refusal reads in the pharmacist's words, also wrapped.
func TestPackReason(t *testing.T) {
	for _, c := range []struct {
		err  error
		want string
	}{
		{pack.ErrCheckDigit, "bad GTIN check digit"},
		{fmt.Errorf("%w: %w", pack.ErrMalformed, pack.ErrCheckDigit), "bad GTIN check digit"},
		{pack.ErrMalformed, "unreadable or malformed code"},
		{fmt.Errorf("%w: lot L7 of GTIN x", pack.ErrLotMismatch), "lot mismatch: this lot is not on the ledger"},
		{pack.ErrDiverted, "diverted: custody does not end at this pharmacy"},
		{pack.ErrAlreadyDispensed, "already dispensed"},
		{errors.New("state: disk on fire"), "state: disk on fire"},
	} {
		if got := packReason(c.err); got != c.want {
			t.Errorf("packReason(%v) = %q, want %q", c.err, got, c.want)
		}
	}
}

// A pack code is the argument itself, or one line of standard input as a
// scanner types it, separators kept and the line's end dropped.
func TestReadPackCode(t *testing.T) {
	raw := "]d2\x1d01" + cliGTIN + "17301231" + "10L1\x1d21S0002"
	for _, c := range []struct {
		arg, stdin, want string
		fails            bool
	}{
		{arg: "(01)09506000134352(21)S1(10)L1(17)301231", want: "(01)09506000134352(21)S1(10)L1(17)301231"},
		{arg: "-", stdin: raw + "\r\n(01)second scan\n", want: raw},
		{arg: "-", stdin: raw, want: raw},
		{arg: "-", stdin: "\n", fails: true},
		{arg: "-", stdin: "", fails: true},
	} {
		env := &cli{stdin: bytes.NewReader([]byte(c.stdin))}
		got, err := env.readPackCode(c.arg)
		if (err != nil) != c.fails || got != c.want {
			t.Errorf("readPackCode(%q) with %q: %q, %v", c.arg, c.stdin, got, err)
		}
	}
}

// Numbered serials sort as they are numbered and fit AI 21.
func TestNumberedSerials(t *testing.T) {
	s, err := numberedSerials("S", 100)
	if err != nil || len(s) != 100 || s[0] != "S0001" || s[99] != "S0100" {
		t.Fatalf("%v, %v", s[:2], err)
	}
	if s, err := numberedSerials("LOT-", 100000); err != nil || s[0] != "LOT-000001" {
		t.Fatalf("%v, %v", s[0], err)
	}
	for _, bad := range []struct {
		prefix string
		count  int
	}{{"S", 0}, {"S", 1_000_001}, {strings.Repeat("P", 17), 10}} {
		if _, err := numberedSerials(bad.prefix, bad.count); err == nil {
			t.Errorf("numberedSerials(%q, %d) accepted", bad.prefix, bad.count)
		}
	}
}

// A verdict's headline and exit status: genuine at a pharmacy or for a
// patient (0); not genuine, not to be dispensed or used (1); no judgement
// when only the serial list was missing (2).
func TestPackVerdictHeadline(t *testing.T) {
	check := func(name string, err error) pack.Check {
		return pack.Check{Name: name, OK: err == nil, Detail: "d", Err: err}
	}
	pharmacyChecks := func(failed string, err error) []pack.Check {
		var cs []pack.Check
		for _, n := range []string{pack.CheckReadable, pack.CheckBatch, pack.CheckManufacturer, pack.CheckSerial, pack.CheckExpiryMatch,
			pack.CheckNotExpired, pack.CheckNotRecalled, pack.CheckCustody, pack.CheckNotDispensed} {
			if n == failed {
				cs = append(cs, check(n, err))
			} else {
				cs = append(cs, check(n, nil))
			}
		}
		return cs
	}
	patient := func(cs []pack.Check) []pack.Check { return cs[:7] }
	verdict := func(cs []pack.Check) pack.Verdict {
		v := pack.Verdict{OK: true, Checks: cs}
		for _, c := range cs {
			if !c.OK {
				v.OK = false
				v.Reasons = append(v.Reasons, c.Err)
			}
		}
		return v
	}
	for _, c := range []struct {
		name     string
		v        pack.Verdict
		headline string
		exit     int
	}{
		{"genuine at a pharmacy", verdict(pharmacyChecks("", nil)), "GENUINE — may be dispensed", 0},
		{"genuine for a patient", verdict(patient(pharmacyChecks("", nil))), "GENUINE — not recalled", 0},
		{"counterfeit", verdict(pharmacyChecks(pack.CheckSerial, pack.ErrNotInBatch)), "NOT GENUINE — serial number not in the batch", 1},
		{"diverted", verdict(pharmacyChecks(pack.CheckCustody, pack.ErrDiverted)), "NOT TO BE DISPENSED — diverted", 1},
		{"recalled, for a patient", verdict(patient(pharmacyChecks(pack.CheckNotRecalled, pack.ErrRecalled))), "NOT TO BE USED — recalled", 1},
		{"no serial list", verdict(pharmacyChecks(pack.CheckSerial, pack.ErrListUnavailable)), "CANNOT JUDGE — the batch's serial list could not be fetched", 2},
	} {
		var out bytes.Buffer
		printPackVerdict(&out, ledgerTip(7), c.v, "")
		if !strings.HasPrefix(out.String(), c.headline) || strings.Count(out.String(), "✗ ") != len(c.v.Reasons) || !strings.Contains(out.String(), "block 7") {
			t.Errorf("%s:\n%s", c.name, out.String())
		}
		exit := 0
		var es exitStatus
		if err := packExit(c.v); errors.As(err, &es) {
			exit = es.code
		}
		if exit != c.exit {
			t.Errorf("%s: exit %d, want %d", c.name, exit, c.exit)
		}
	}
}

func ledgerTip(n uint64) ledger.Tip { return ledger.Tip{Number: n, Time: uint64(time.Now().Unix())} }
