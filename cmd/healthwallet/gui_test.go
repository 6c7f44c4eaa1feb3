package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/healthwallet/healthwallet/internal/demonet"
	"github.com/healthwallet/healthwallet/wallet"
	"github.com/healthwallet/healthwallet/wallet/keystore"
)

// `healthwallet demo --no-gui` prepares what `make run` shows: a demo
// wallet with one Synthea patient's records, on the demo consortium, with
// the demo clinician's access request in its inbox. A second run resumes
// the same chain and does not ask twice; a run as another member (--as)
// leaves the patient's inbox as it was.
func TestDemoPreparesRequest(t *testing.T) {
	walletOptions.KDF = keystore.TestParams
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	dir := filepath.Join(t.TempDir(), "demo")
	demo := func(args ...string) string {
		t.Helper()
		var stdout, stderr bytes.Buffer
		args = append([]string{"demo", "--demo-dir", dir, "--no-gui"}, args...)
		if code := run(ctx, args, strings.NewReader(""), &stdout, &stderr, func(string) string { return "" }); code != 0 {
			t.Fatalf("demo exited %d:\n%s", code, stderr.String())
		}
		return stderr.String()
	}
	out := demo("--samples", "../../../shared/testdata/fhir/synthea-bundles")
	for _, want := range []string{"Created a demo wallet", "sample records from Micha_Kertzmann", demonet.ChainID, "access request waits in the Sharing inbox"} {
		if !strings.Contains(out, want) {
			t.Errorf("first run: no %q in\n%s", want, out)
		}
	}
	out = demo()
	if strings.Contains(out, "Created") || !strings.Contains(out, "access request waits in the Sharing inbox") {
		t.Errorf("second run:\n%s", out)
	}
	// The demo through the clinician's eyes opens their wallet on it.
	if out = demo("--as", "clinician"); !strings.Contains(out, "seen by clinician") {
		t.Errorf("demo --as clinician:\n%s", out)
	}

	// The wallet's copy of the chain holds exactly one request.
	n, err := wallet.LoadNetwork(dir)
	if err != nil {
		t.Fatal(err)
	}
	w, err := wallet.Open(dir, []byte(demoPassphrase), n.Options(walletOptions))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	reqs, err := w.PendingRequests(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(reqs) != 1 || reqs[0].Note != demonet.RequestNote {
		t.Fatalf("pending requests after two runs: %+v", reqs)
	}
	if recs, err := w.List(ctx, wallet.Query{}); err != nil || len(recs) == 0 {
		t.Fatalf("demo records: %d, %v", len(recs), err)
	}
}

// --ready-file receives the milliseconds since the process started.
func TestReadyFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "ready")
	show, ready := "Sharing", file
	cfg := guiFlags{show: &show, readyFile: &ready}.config(t.TempDir())
	if cfg.Show != "Sharing" || cfg.Ready == nil {
		t.Fatalf("config %+v", cfg)
	}
	cfg.Ready()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if ms, err := strconv.Atoi(strings.TrimSpace(string(b))); err != nil || ms < 0 {
		t.Fatalf("ready file %q: %v", b, err)
	}
}
