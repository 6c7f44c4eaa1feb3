package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/healthwallet/healthwallet/wallet/rx"
)

// E-prescriptions from the command line, with the consortium of
// TestCLICredentials: a licensed doctor prescribes (a file and a QR
// picture); two pharmacies verify it from their own copies of the chain
// and dispense it, the first dispense and the one refill, after which a
// third try is refused wherever it comes from; an altered and a forged
// prescription, a prescriber without a licence and a dispenser without
// one are refused with their reasons; verification works with the network
// cut.
func TestCLIPrescriptions(t *testing.T) {
	n := newLicensedNet(t, "cli-rx", "doctor", "patient", "pharmacy1", "pharmacy2")
	until := time.Now().AddDate(1, 0, 0).Format(time.DateOnly)
	for _, c := range []struct{ who, kind, licence string }{
		{"doctor", "prescriber", "TL-RX-7"}, {"pharmacy1", "pharmacist", "TL-PH-1"}, {"pharmacy2", "pharmacist", "TL-PH-2"},
	} {
		file, _ := n.issue(c.who, c.kind, "--licence", c.licence, "--until", until)
		n.must(c.who, "credential", "add", file)
	}

	files := t.TempDir()
	hwrx := filepath.Join(files, "amlodipine.hwrx")
	png := filepath.Join(files, "amlodipine.png")
	prescribe := []string{"prescribe", "--patient", n.ids["patient"], "--rxnorm", "197361", "--name", "amlodipine 5 MG Oral Tablet",
		"--dose", "1 tablet by mouth once daily", "--quantity", "30", "--unit", "tablet", "--refills", "1", "--valid-days", "30",
		"--prescriber", "Dr. Test"}
	code, _, errs := n.capture("doctor", append(prescribe, "--out", hwrx, "--qr", png)...)
	t.Logf("prescribe: %s", errs)
	if code != 0 || !strings.Contains(errs, "Prescription committed on the ledger") || !strings.Contains(errs, "may be dispensed 2 times") ||
		!strings.Contains(errs, "give the patient the file or the QR code") {
		t.Fatalf("prescribe: exit %d: %s", code, errs)
	}
	text, err := os.ReadFile(hwrx)
	if err != nil || !bytes.HasPrefix(text, []byte(rx.TextPrefix)) {
		t.Fatalf("prescription file: %v %.40q", err, text)
	}

	// Both pharmacies judge it from their own chain: the file and the QR
	// picture alike.
	for _, arg := range []string{hwrx, png} {
		code, out, _ := n.capture("pharmacy2", "rx", "verify", arg)
		if code != 0 || !strings.HasPrefix(out, "PASS — may be dispensed (2 of 2 dispenses left)") || strings.Count(out, "✓ ") != 6 ||
			!strings.Contains(out, "amlodipine 5 MG Oral Tablet (RxNorm 197361)") || !strings.Contains(out, "by Dr. Test ("+n.ids["doctor"]+"), licensed by "+testBoard) {
			t.Fatalf("rx verify %s: exit %d:\n%s", arg, code, out)
		}
		if arg == hwrx {
			t.Logf("rx verify:\n%s", out)
		}
	}

	// From standard input, as a scanner or another program hands it over.
	var stdout, stderr syncBuffer
	getenv := func(k string) string {
		if k == "HEALTHWALLET_PASSPHRASE" {
			return "cli access passphrase"
		}
		return ""
	}
	if code := run(context.Background(), []string{"--data-dir", n.dirs["pharmacy1"], "rx", "verify", "-"}, bytes.NewReader(text), &stdout, &stderr, getenv); code != 0 ||
		!strings.HasPrefix(stdout.String(), "PASS") {
		t.Fatalf("rx verify -: exit %d:\n%s%s", code, stdout.String(), stderr.String())
	}

	// The first dispense at pharmacy 1, the refill at pharmacy 2 (from the
	// text itself); a third try at either is refused.
	code, out, _ := n.capture("pharmacy1", "rx", "dispense", hwrx)
	if code != 0 || !strings.HasPrefix(out, "DISPENSED — dispense 1 of 2 recorded on the ledger") || !strings.Contains(out, "1 refill left") {
		t.Fatalf("first dispense: exit %d:\n%s", code, out)
	}
	code, out, _ = n.capture("pharmacy2", "rx", "dispense", strings.TrimSpace(string(text)))
	if code != 0 || !strings.HasPrefix(out, "DISPENSED — dispense 2 of 2") || !strings.Contains(out, "none left") {
		t.Fatalf("refill: exit %d:\n%s", code, out)
	}
	for _, who := range []string{"pharmacy1", "pharmacy2"} {
		code, out, _ := n.capture(who, "rx", "dispense", hwrx)
		if code != 1 || !strings.HasPrefix(out, "FAIL — do not dispense: already dispensed") || !strings.Contains(out, "✗ "+rx.CheckDispenses) {
			t.Fatalf("%s dispenses a third time: exit %d:\n%s", who, code, out)
		}
	}

	// Altered (the quantity tripled) and forged (signed by a key that never
	// held a prescriber licence) prescriptions.
	p, err := rx.Decode(string(text))
	if err != nil {
		t.Fatal(err)
	}
	altered := *p
	altered.Request = bytes.Replace(p.Request, []byte(`"value":30`), []byte(`"value":90`), 1)
	if bytes.Equal(altered.Request, p.Request) {
		t.Fatalf("no quantity to alter in %s", p.Request)
	}
	o, err := p.Order()
	if err != nil {
		t.Fatal(err)
	}
	_, fakeKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	forged, err := rx.Write(o, fakeKey, "Dr. Fake", n.ids["patient"], time.Now())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, text, reason string
	}{
		{"altered", altered.Encode(), "content altered"},
		{"forged", forged.Encode(), "forged: the signer is not a prescriber"},
		{"garbled", rx.TextPrefix + "not-a-prescription", "unreadable or malformed"},
	} {
		file := filepath.Join(files, c.name+rx.FileExt)
		if err := os.WriteFile(file, []byte(c.text), 0o600); err != nil {
			t.Fatal(err)
		}
		code, out, _ := n.capture("pharmacy1", "rx", "verify", file)
		if code != 1 || !strings.HasPrefix(out, "FAIL — do not dispense: ") || !strings.Contains(strings.SplitN(out, "\n", 2)[0], c.reason) {
			t.Fatalf("rx verify %s: exit %d:\n%s", c.name, code, out)
		}
		if code, _, _ := n.capture("pharmacy1", "rx", "dispense", file); code != 1 {
			t.Fatalf("rx dispense %s: exit %d", c.name, code)
		}
	}

	// Only a licensed prescriber writes, only a licensed pharmacist
	// dispenses.
	if code, _, errs := n.capture("pharmacy1", prescribe...); code != 1 || !strings.Contains(errs, "needs a valid prescriber credential") {
		t.Fatalf("a pharmacist prescribes: exit %d: %s", code, errs)
	}
	fresh := filepath.Join(files, "fresh.hwrx")
	n.must("doctor", append(prescribe, "--out", fresh)...)
	if code, _, errs := n.capture("patient", "rx", "dispense", fresh); code != 2 || !strings.Contains(errs, "dispensing needs a valid pharmacist credential") {
		t.Fatalf("the patient dispenses: exit %d: %s", code, errs)
	}
	if code, _, errs := n.capture("doctor", "prescribe", "--patient", n.ids["patient"], "--rxnorm", "197361", "--quantity", "0", "--unit", "tablet", "--dose", "x"); code != 2 || !strings.Contains(errs, "quantity") {
		t.Fatalf("prescribe with quantity 0: exit %d: %s", code, errs)
	}

	// The network cut: pharmacy 2, which saw the fresh prescription's
	// commitment once, still judges it from its copy of the chain.
	if code, out, _ := n.capture("pharmacy2", "rx", "verify", fresh); code != 0 {
		t.Fatalf("rx verify fresh: exit %d:\n%s", code, out)
	}
	for _, halt := range n.nodes {
		halt()
	}
	code, out, errs = n.capture("pharmacy2", "rx", "verify", fresh)
	if code != 0 || !strings.Contains(errs, "offline: no member node answered") || !regexp.MustCompile(`^PASS — may be dispensed \(2 of 2`).MatchString(out) {
		t.Fatalf("rx verify offline: exit %d:\n%s\n%s", code, out, errs)
	}
}

// Each refusal reads in the pharmacist's words, also wrapped.
func TestReasonName(t *testing.T) {
	for _, c := range []struct {
		err  error
		want string
	}{
		{rx.ErrMalformed, "unreadable or malformed"},
		{rx.ErrAltered, "content altered"},
		{rx.ErrForged, "forged: the signer is not a prescriber"},
		{rx.ErrPrescriberInvalid, "prescriber's licence not valid when it was written"},
		{rx.ErrUnknown, "unknown to the ledger"},
		{rx.ErrExpired, "expired"},
		{fmt.Errorf("%w: dispensed 2 of 2 times", rx.ErrAlreadyDispensed), "already dispensed"},
		{errors.New("state: disk on fire"), "state: disk on fire"},
	} {
		if got := reasonName(c.err); got != c.want {
			t.Errorf("reasonName(%v) = %q, want %q", c.err, got, c.want)
		}
	}
}

// A prescription is read from its text, a file of it, or a QR picture.
func TestReadPrescription(t *testing.T) {
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	o := rx.Order{Medication: rx.Coding{System: rx.RxNorm, Code: "197361", Display: "amlodipine 5 MG Oral Tablet"},
		Dosage: "1 tablet by mouth once daily", Quantity: 30, Unit: "tablet", Refills: 2, ValidUntil: time.Now().Add(30 * 24 * time.Hour)}
	p, err := rx.Write(o, key, "Dr. Test", "hw1aed6nmhxr2bhgv5bd76sbpw2xn5nm3e7q56i75xxbi7xy2zfahcgtrtwaz7a", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	text := p.Encode()
	dir := t.TempDir()
	file := filepath.Join(dir, "rx"+rx.FileExt)
	if err := os.WriteFile(file, []byte(text+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	png, err := readableQR(text)
	if err != nil {
		t.Fatal(err)
	}
	picture := filepath.Join(dir, "rx.png")
	if err := os.WriteFile(picture, png, 0o600); err != nil {
		t.Fatal(err)
	}
	env := &cli{stdin: strings.NewReader(text)}
	for _, arg := range []string{text, file, picture, "-"} {
		got, err := env.readPrescription(arg)
		if err != nil || strings.TrimSpace(got) != text {
			t.Errorf("readPrescription(%.20q): %.20q, %v", arg, got, err)
		}
	}
	if _, err := env.readPrescription(filepath.Join(dir, "missing.hwrx")); err == nil {
		t.Error("a missing file read")
	}
}
