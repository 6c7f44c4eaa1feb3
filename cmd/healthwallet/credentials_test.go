package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/healthwallet/healthwallet/chain"
	"github.com/healthwallet/healthwallet/wallet/keystore"
)

// licensedNet is a loopback consortium from the command line with a
// licensing authority admitted: clinics north and east run their nodes,
// south runs none (it registers clinicians and files documents), "board"
// is the authority's wallet.
type licensedNet struct {
	*cliEnv
	genesis string
	nodes   []func() // halt north's and east's nodes
	ids     map[string]string
}

const testBoard = "Test Medical Board"

// newLicensedNet makes the consortium and has the clinics admit the board.
// The votes are cast before east's node starts, since a running node holds
// its wallet: south votes while north's node and south's command seal,
// then east while north's node and east's command do.
func newLicensedNet(t *testing.T, chainID string, others ...string) *licensedNet {
	walletOptions.KDF = keystore.TestParams
	n := &licensedNet{cliEnv: &cliEnv{t: t, dirs: map[string]string{}}, ids: map[string]string{}}
	for _, who := range append([]string{"north", "east", "south", "board"}, others...) {
		n.must(who, "init")
		n.ids[who] = n.must(who, "id")
	}
	n.genesis = filepath.Join(t.TempDir(), "genesis.json")
	n.must("north", "chain", "init", "--chain-id", chainID, "--signer", n.ids["north"]+"=North",
		"--signer", n.ids["east"]+"=East", "--signer", n.ids["south"]+"=South", "--period", "1s", "--out", n.genesis)
	north, _, haltNorth := n.startNode("north", n.genesis)
	for _, who := range append([]string{"east", "south", "board"}, others...) {
		n.must(who, "join", "--genesis", n.genesis, "--peer", north, "--listen", "/ip4/127.0.0.1/tcp/0")
	}
	vote := []string{"authority", "vote", "--admit", n.ids["board"], "--name", testBoard, "--kinds", "physician,nurse,prescriber,pharmacist,training"}
	if out := n.must("south", vote...); !strings.Contains(out, "Vote recorded: 1 of 3 clinics") || !strings.Contains(out, "it takes 2") {
		t.Fatalf("south's vote: %s", out)
	}
	if list := n.must("board", "authority", "list"); !strings.Contains(list, "No licensing authority") || !strings.Contains(list, "Open votes") {
		t.Fatalf("authority list with a vote open:\n%s", list)
	}
	if out := n.must("east", vote...); !strings.Contains(out, "Admitted: "+testBoard+" may issue physician, nurse, pharmacist, prescriber, training") {
		t.Fatalf("east's vote: %s", out)
	}
	_, _, haltEast := n.startNode("east", n.genesis, north)
	n.nodes = []func(){haltNorth, haltEast}
	return n
}

// issue has the board issue a credential to who and returns the document's
// file and the credential's hash.
func (n *licensedNet) issue(who, kind string, extra ...string) (file, hash string) {
	n.t.Helper()
	file = filepath.Join(n.t.TempDir(), kind+".json")
	args := append([]string{"credential", "issue", "--to", n.ids[who], "--kind", kind, "--jurisdiction", "Testland",
		"--from", time.Now().AddDate(-1, 0, 0).Format(time.DateOnly), "--out", file}, extra...)
	code, _, errs := n.capture("board", args...)
	m := regexp.MustCompile(`credential ([0-9a-f]{64})`).FindStringSubmatch(errs)
	if code != 0 || m == nil {
		n.t.Fatalf("credential issue %s to %s: exit %d: %s", kind, who, code, errs)
	}
	return file, m[1]
}

// The credentials flow from the command line: the clinics admit a board
// by vote, the board issues a doctor's licences and a training, the
// doctor keeps them, anyone verifies the doctor (exit status 0/1/2), the
// board suspends and reinstates a licence, a clinic checks a candidate's
// document and sees its staffing, a key that is no authority cannot issue,
// and verification keeps working with the network cut.
func TestCLICredentials(t *testing.T) {
	n := newLicensedNet(t, "cli-credentials", "doctor", "patient", "rogue")
	if list := n.must("patient", "authority", "list"); !regexp.MustCompile(testBoard + `\s+physician, nurse, pharmacist, prescriber, training\s+admitted`).MatchString(list) {
		t.Fatalf("authority list:\n%s", list)
	}
	n.must("south", "clinician", "register", "--card", n.must("doctor", "id", "--card"), "--role", "physician")

	// Before any credential: not verified, exit 1.
	code, out, _ := n.capture("patient", "verify-clinician", n.ids["doctor"])
	if code != 1 || !strings.HasPrefix(out, "NOT VERIFIED — no licence on the ledger") || !strings.Contains(out, "Registered as physician by South") {
		t.Fatalf("verify-clinician before licences: exit %d:\n%s", code, out)
	}

	until := time.Now().AddDate(2, 0, 0).Format(time.DateOnly)
	physician, physicianHash := n.issue("doctor", "physician", "--licence", "TL-MD-42", "--specialty", "Cardiology", "--until", until)
	prescriber, _ := n.issue("doctor", "prescriber", "--licence", "TL-RX-42", "--until", until)
	training, _ := n.issue("doctor", "MRI safety", "--until", time.Now().AddDate(0, 0, 20).Format(time.DateOnly))
	for _, f := range []string{physician, prescriber, training} {
		if out := n.must("doctor", "credential", "add", f); !strings.HasPrefix(out, "Kept: ") || !strings.Contains(out, "✓ ") {
			t.Fatalf("credential add %s:\n%s", f, out)
		}
	}
	if out := n.must("doctor", "credential", "list"); strings.Count(out, "✓ ") != 3 || !strings.Contains(out, "licence TL-MD-42, Cardiology, Testland") {
		t.Fatalf("credential list:\n%s", out)
	}
	if out := n.must("board", "credential", "list", "--issued"); strings.Count(out, "issued to "+n.ids["doctor"]) != 3 {
		t.Fatalf("credential list --issued:\n%s", out)
	}
	// Someone else's document is refused.
	if code, _, errs := n.capture("patient", "credential", "add", physician); code != 1 || !strings.Contains(errs, "issued to someone else") {
		t.Fatalf("patient adds the doctor's credential: exit %d: %s", code, errs)
	}

	code, out, _ = n.capture("patient", "verify-clinician", n.ids["doctor"])
	t.Logf("verify-clinician:\n%s", out)
	if code != 0 || !strings.HasPrefix(out, "VERIFIED — verified physician and prescriber, "+testBoard) ||
		strings.Count(out, "✓ ") != 3 || !strings.Contains(out, "✓ training certificate, "+testBoard) {
		t.Fatalf("verify-clinician: exit %d:\n%s", code, out)
	}

	// Suspended: prescriber alone still verifies the key, the physician
	// licence says why it does not count; reinstated, it counts again.
	// The patient's node syncs from north, which may adopt the board's
	// block a moment after the node the board waited for.
	n.must("board", "credential", "status", physicianHash, "suspended")
	waitFor(t, "the suspension on the patient's chain", 30*time.Second, func() bool {
		code, out, _ = n.capture("patient", "verify-clinician", n.ids["doctor"])
		return strings.Contains(out, "suspended by")
	})
	if code != 0 || !strings.HasPrefix(out, "VERIFIED — verified prescriber") || !regexp.MustCompile(`✗ physician.*\n(.*\n)?\s+✗ suspended by `+testBoard).MatchString(out) {
		t.Fatalf("verify-clinician after suspension: exit %d:\n%s", code, out)
	}
	n.must("board", "credential", "status", physicianHash, "active")
	waitFor(t, "the reinstatement on the patient's chain", 30*time.Second, func() bool {
		code, out, _ = n.capture("patient", "verify-clinician", n.ids["doctor"])
		return !strings.Contains(out, "suspended by")
	})
	if code != 0 || !strings.Contains(out, "verified physician and prescriber") {
		t.Fatalf("verify-clinician after reinstatement: exit %d:\n%s", code, out)
	}
	if code, _, errs := n.capture("board", "credential", "status", physicianHash, "paused"); code != 2 || !strings.Contains(errs, "active, suspended or revoked") {
		t.Fatalf("credential status paused: exit %d: %s", code, errs)
	}

	// A key that is no admitted authority cannot issue.
	code, _, errs := n.capture("rogue", "credential", "issue", "--to", n.ids["doctor"], "--kind", "physician", "--licence", "FAKE-1", "--until", until)
	if code != 1 || !strings.Contains(errs, "not an admitted licensing authority") {
		t.Fatalf("rogue issues: exit %d: %s", code, errs)
	}

	// A clinic checks the candidate's documents and files them; its
	// staffing view shows the doctor and the training ending soon.
	code, out, _ = n.capture("south", "credential", "check", "--keep", physician)
	t.Logf("credential check:\n%s", out)
	if code != 0 || !strings.HasPrefix(out, "VALID — physician licence TL-MD-42, "+testBoard) || !strings.Contains(out, "The candidate overall: verified physician and prescriber") ||
		!strings.Contains(out, "Filed with this clinic's staff credentials") {
		t.Fatalf("credential check: exit %d:\n%s", code, out)
	}
	n.must("south", "credential", "check", "--keep", training)
	tampered := filepath.Join(t.TempDir(), "tampered.json")
	doc, err := os.ReadFile(physician)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(tampered, []byte(strings.Replace(string(doc), "TL-MD-42", "TL-MD-43", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, _ := n.capture("south", "credential", "check", tampered); code != 1 || !strings.HasPrefix(out, "NOT VALID — not a genuine credential document") {
		t.Fatalf("credential check of a tampered document: exit %d:\n%s", code, out)
	}
	staffing := n.must("south", "staffing")
	t.Logf("staffing:\n%s", staffing)
	if !strings.Contains(staffing, "1 clinician registered by this clinic, 1 with a valid licence") ||
		!strings.Contains(staffing, "Valid credentials by kind: MRI safety 1, physician 1, prescriber 1") ||
		!strings.Contains(staffing, "By specialty (from filed documents): Cardiology 1") ||
		!regexp.MustCompile(`Ending within 30 days:\n\s+`+n.ids["doctor"]+`\s+MRI safety, `+testBoard).MatchString(staffing) {
		t.Fatalf("staffing:\n%s", staffing)
	}

	// Usage and input errors exit 2; an unlicensed key exits 1.
	if code, _, _ := n.capture("patient", "verify-clinician", "not-an-id"); code != 2 {
		t.Fatalf("verify-clinician not-an-id: exit %d", code)
	}
	if code, out, _ := n.capture("patient", "verify-clinician", n.ids["patient"]); code != 1 || !strings.Contains(out, "Not registered by any clinic") {
		t.Fatalf("verify-clinician of the patient: exit %d:\n%s", code, out)
	}

	// The network cut: every node stops; the patient still judges the
	// doctor from its own copy of the chain.
	for _, halt := range n.nodes {
		halt()
	}
	code, out, errs = n.capture("patient", "verify-clinician", n.ids["doctor"])
	if code != 0 || !strings.Contains(errs, "offline: no member node answered") || !strings.HasPrefix(out, "VERIFIED — verified physician and prescriber") {
		t.Fatalf("verify-clinician offline: exit %d:\n%s\n%s", code, out, errs)
	}
	if code, out, errs = n.capture("patient", "verify-clinician", "--offline", n.ids["doctor"]); code != 0 || !strings.Contains(errs, "Judging from this wallet's copy") {
		t.Fatalf("verify-clinician --offline: exit %d:\n%s\n%s", code, out, errs)
	}
}

// Credential kinds and dates as an authority types them.
func TestParseKindsAndDates(t *testing.T) {
	for _, c := range []struct {
		in   string
		want chain.CredentialKinds
		ok   bool
	}{
		{"physician,nurse,prescriber", chain.KindsOf(chain.KindPhysician, chain.KindNurse, chain.KindPrescriber), true},
		{" Pharmacist , training ", chain.KindsOf(chain.KindPharmacist, chain.KindTraining), true},
		{"physician,surgeon", 0, false},
		{"", 0, true},
	} {
		got, err := parseKinds(c.in)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("parseKinds(%q) = %v, %v", c.in, got, err)
		}
	}
	for _, c := range []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"2027-12-31", time.Date(2027, 12, 31, 0, 0, 0, 0, time.UTC), true},
		{"2027-12-31T08:00:00+01:00", time.Date(2027, 12, 31, 7, 0, 0, 0, time.UTC), true},
		{"31/12/2027", time.Time{}, false},
	} {
		got, err := parseDate("until", c.in)
		if (err == nil) != c.ok || !got.Equal(c.want) {
			t.Errorf("parseDate(%q) = %v, %v", c.in, got, err)
		}
	}
}
