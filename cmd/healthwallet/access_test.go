package main

import (
	"context"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/healthwallet/healthwallet/wallet/keystore"
)

// cliEnv runs healthwallet commands in process against named data
// directories.
type cliEnv struct {
	t    *testing.T
	dirs map[string]string
}

func (e *cliEnv) run(ctx context.Context, who string, out *syncBuffer, args ...string) int {
	e.t.Helper()
	if e.dirs[who] == "" {
		e.dirs[who] = e.t.TempDir()
	}
	getenv := func(k string) string {
		if k == "HEALTHWALLET_PASSPHRASE" {
			return "cli access passphrase"
		}
		return ""
	}
	var errb syncBuffer
	code := run(ctx, append([]string{"--data-dir", e.dirs[who]}, args...), strings.NewReader(""), out, &errb, getenv)
	if code != 0 {
		e.t.Logf("%s: healthwallet %s: exit %d: %s", who, strings.Join(args, " "), code, errb.String())
	}
	return code
}

// must runs a command that must succeed and returns its output, trimmed.
func (e *cliEnv) must(who string, args ...string) string {
	e.t.Helper()
	var out syncBuffer
	if e.run(context.Background(), who, &out, args...) != 0 {
		e.t.FailNow()
	}
	return strings.TrimSpace(out.String())
}

// startNode runs `healthwallet node` for who until the test ends and
// returns its first listen address and its output.
func (e *cliEnv) startNode(who, genesis string, peers ...string) (string, *syncBuffer, func()) {
	e.t.Helper()
	ctx, stop := context.WithCancel(context.Background())
	out := &syncBuffer{}
	done := make(chan int, 1)
	args := []string{"node", "--genesis", genesis, "--listen", "/ip4/127.0.0.1/tcp/0", "--status-every", "100ms"}
	for _, p := range peers {
		args = append(args, "--peer", p)
	}
	go func() { done <- e.run(ctx, who, out, args...) }()
	addr := regexp.MustCompile(`(/ip4/127\.0\.0\.1/tcp/\d+/p2p/\w+)`)
	deadline := time.Now().Add(30 * time.Second)
	for addr.FindString(out.String()) == "" {
		if time.Now().After(deadline) {
			e.t.Fatalf("%s's node did not start: %s", who, out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	stopped := false
	halt := func() {
		if !stopped {
			stopped = true
			stop()
			<-done
		}
	}
	e.t.Cleanup(halt)
	return addr.FindString(out.String()), out, halt
}

// The access flow from the command line, one process, loopback: three
// clinics (two run their nodes, which is a majority, so the chain moves; the
// third registers a doctor), a doctor and a patient, each a separate data
// directory, as on separate machines.
func TestCLIAccessFlow(t *testing.T) {
	walletOptions.KDF = keystore.TestParams
	e := &cliEnv{t: t, dirs: map[string]string{}}
	for _, who := range []string{"north", "east", "south", "doctor", "patient"} {
		e.must(who, "init")
	}
	patientID := e.must("patient", "id")
	genesis := filepath.Join(t.TempDir(), "genesis.json")
	e.must("north", "chain", "init", "--chain-id", "cli-flow", "--signer", e.must("north", "id")+"=North",
		"--signer", e.must("east", "id")+"=East", "--signer", e.must("south", "id")+"=South", "--period", "1s", "--out", genesis)
	north, northOut, _ := e.startNode("north", genesis)
	e.startNode("east", genesis, north)
	// The clinic joins from the files; the doctor and the patient from the
	// invite the founding clinic made.
	e.must("south", "join", "--genesis", genesis, "--peer", north, "--listen", "/ip4/127.0.0.1/tcp/0")
	invite := filepath.Join(t.TempDir(), "invite.txt")
	e.must("north", "chain", "invite", "--genesis", genesis, "--peer", north, "--out", invite)
	for _, who := range []string{"doctor", "patient"} {
		e.must(who, "join", "--invite", invite, "--listen", "/ip4/127.0.0.1/tcp/0")
	}
	e.must("south", "clinician", "register", "--card", e.must("doctor", "id", "--card"), "--role", "physician")
	e.must("patient", "import", "../../../shared/testdata/fhir/synthea-bundles")
	reqID := e.must("doctor", "request", "--patient", patientID, "--category", "allergies", "--category", "conditions", "--days", "7", "--note", "referral")
	if list := e.must("patient", "requests"); !strings.Contains(list, reqID) || !strings.Contains(list, "referral") || !strings.Contains(list, "physician") {
		t.Fatalf("requests:\n%s", list)
	}
	grant := e.must("patient", "approve", reqID)
	// The patient's app stays open until the clinic holds the shared
	// ciphertexts and the capsule, then closes: the doctor reads from the
	// clinic.
	want := 1 // the capsule
	for _, cat := range []string{"allergies", "conditions"} {
		if out := e.must("patient", "list", "--category", cat, "--json"); out != "" {
			want += len(strings.Split(out, "\n"))
		}
	}
	_, _, patientOff := e.startNode("patient", filepath.Join(e.dirs["patient"], "genesis.json"), north)
	pinned := regexp.MustCompile(`(\d+) pinned, 0 waiting`)
	deadline := time.Now().Add(90 * time.Second)
	for {
		m := pinned.FindAllStringSubmatch(northOut.String(), -1)
		if len(m) > 0 && m[len(m)-1][1] == strconv.Itoa(want) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("clinic never pinned all %d: %s", want, northOut.String()[max(0, len(northOut.String())-400):])
		}
		time.Sleep(20 * time.Millisecond)
	}
	patientOff()
	list := e.must("doctor", "shared", "--patient", patientID)
	lines := strings.Split(list, "\n")
	if len(lines) < 2 {
		t.Fatalf("shared:\n%s", list)
	}
	first := strings.Fields(lines[1])[0]
	if rec := e.must("doctor", "shared", "--patient", patientID, "--record", first); !strings.Contains(rec, `"resourceType"`) {
		t.Fatalf("shared record: %s", rec)
	}
	e.must("patient", "revoke", grant)
	if list := e.must("doctor", "shared", "--patient", patientID); strings.Contains(list, first) {
		t.Fatalf("still shared after revoke:\n%s", list)
	}
}
