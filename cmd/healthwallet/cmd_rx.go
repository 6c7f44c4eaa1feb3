package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/healthwallet/healthwallet/internal/atomicfile"
	"github.com/healthwallet/healthwallet/wallet"
	"github.com/healthwallet/healthwallet/wallet/identity"
	"github.com/healthwallet/healthwallet/wallet/qr"
	"github.com/healthwallet/healthwallet/wallet/rx"
)

// E-prescriptions from the command line: a prescriber writes one (the
// commitment goes on the chain, the prescription to the patient), and a
// pharmacist verifies it from the local copy of the chain and dispenses.

// runPrescribe (a clinician with a valid prescriber credential) writes a
// prescription and commits it on the chain.
func runPrescribe(ctx context.Context, env *cli, args []string) error {
	fs := env.flags("prescribe")
	patient := fs.String("patient", "", "the patient's Health Wallet `ID`")
	rxnorm := fs.String("rxnorm", "", "the medication's RxNorm `code` (RXCUI), e.g. 197361")
	code := fs.String("code", "", "the medication's code in another system, as `SYSTEM|CODE` (a local formulary's URI)")
	name := fs.String("name", "", "the medication's `name`, e.g. \"amlodipine 5 MG Oral Tablet\"")
	dose := fs.String("dose", "", "the dosage instruction, e.g. \"1 tablet by mouth once daily\"")
	quantity := fs.Float64("quantity", 0, "how much per dispense")
	unit := fs.String("unit", "", "the quantity's unit: tablet, mL, …")
	refills := fs.Int("refills", 0, fmt.Sprintf("refills after the first dispense (0 to %d)", rx.MaxRefills))
	validDays := fs.Int("valid-days", 30, "how many days it may be dispensed")
	note := fs.String("note", "", "a note to the pharmacist")
	prescriber := fs.String("prescriber", "", "your `name` as printed on the prescription (\"Dr. Ada Lovelace\")")
	out := fs.String("out", "", "write the prescription for the patient to `file` (.hwrx; default: standard output)")
	qrFile := fs.String("qr", "", "also write it as a QR code picture to `file` (PNG)")
	rest, err := env.parse(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 0 {
		return usageError{fmt.Sprintf("unexpected argument %q", rest[0])}
	}
	id, err := identity.ParseID(*patient)
	if err != nil {
		return usageError{"give --patient with the patient's Health Wallet ID"}
	}
	o := rx.Order{Dosage: strings.TrimSpace(*dose), Quantity: *quantity, Unit: strings.TrimSpace(*unit), Refills: *refills, Note: strings.TrimSpace(*note)}
	switch {
	case (*rxnorm == "") == (*code == ""):
		return usageError{"give --rxnorm CODE or --code SYSTEM|CODE"}
	case *rxnorm != "":
		o.Medication = rx.Coding{System: rx.RxNorm, Code: strings.TrimSpace(*rxnorm)}
	default:
		system, c, ok := strings.Cut(*code, "|")
		if !ok || system == "" || c == "" {
			return usageError{fmt.Sprintf("--code %q: give SYSTEM|CODE, e.g. urn:oid:2.16.840.1.113883.2.4.4.7|12345", *code)}
		}
		o.Medication = rx.Coding{System: strings.TrimSpace(system), Code: strings.TrimSpace(c)}
	}
	o.Medication.Display = strings.TrimSpace(*name)
	if *validDays < 1 {
		return usageError{"--valid-days must be at least 1"}
	}
	o.ValidUntil = time.Now().UTC().Add(time.Duration(*validDays) * 24 * time.Hour).Truncate(time.Second)
	// The order's own mistakes are the prescriber's input: say so before
	// going to the network.
	if err := o.Check(); err != nil {
		return usageError{strings.TrimPrefix(err.Error(), "rx: ")}
	}
	w, done, err := env.openOnChain(ctx)
	if err != nil {
		return err
	}
	defer done()
	written, err := w.Prescribe(ctx, wallet.PrescriptionRequest{Patient: id, PrescriberName: *prescriber, Order: o})
	if written.Prescription == nil {
		return err
	}
	// Committed: whatever else failed, the prescription exists and must
	// reach the patient.
	if werr := writeHandover(env, written.Text, *out, *qrFile); werr != nil {
		return errors.Join(err, werr)
	}
	p := written.Prescription
	fmt.Fprintf(env.stderr, "Prescription committed on the ledger (block %d): %s, may be dispensed %s until %s.\n",
		w.Ledger().Head().Number, medication(o), plural(int(p.Dispenses), "time", "times"), longTime(p.Expiry))
	if written.Delivered {
		fmt.Fprintln(env.stderr, "Delivered to the patient's records: their wallet shows it as a QR code.")
	} else {
		fmt.Fprintln(env.stderr, "Not delivered to the patient's records (no write grant covering medications): give the patient the file or the QR code.")
	}
	return err
}

// writeHandover writes a prescription's handover text to file (or
// standard output) and, if asked, a QR code picture of it.
func writeHandover(env *cli, text, file, qrFile string) error {
	if file == "" {
		if _, err := fmt.Fprintln(env.stdout, text); err != nil {
			return err
		}
	} else {
		if err := atomicfile.WriteFile(file, []byte(text+"\n"), 0o600); err != nil {
			return fmt.Errorf("the prescription file: %w", err)
		}
		fmt.Fprintf(env.stderr, "Prescription for the patient: %s\n", file)
	}
	if qrFile == "" {
		return nil
	}
	png, err := readableQR(text)
	if err != nil {
		return err
	}
	if err := atomicfile.WriteFile(qrFile, png, 0o600); err != nil {
		return fmt.Errorf("the QR code picture: %w", err)
	}
	fmt.Fprintf(env.stderr, "QR code: %s\n", qrFile)
	return nil
}

// qrSides are the sizes tried for a prescription's QR picture, several
// pixels a module: the reader misses some symbols drawn at one size, so
// the first that reads back is kept.
var qrSides = []int{800, 960, 1040, 1200}

// readableQR draws text as a QR picture that reads back; if none of the
// sizes does, the first one (a phone's scanner may still read it).
func readableQR(text string) ([]byte, error) {
	var first []byte
	for _, side := range qrSides {
		png, err := qr.PNG(text, side)
		if err != nil {
			return nil, fmt.Errorf("the QR code picture: %w", err)
		}
		if first == nil {
			first = png
		}
		if got, err := qr.Read(bytes.NewReader(png)); err == nil && got == text {
			return png, nil
		}
	}
	return first, nil
}

func runRx(ctx context.Context, env *cli, args []string) error {
	if len(args) > 0 {
		switch args[0] {
		case "verify":
			return runRxVerify(ctx, env, args[1:])
		case "dispense":
			return runRxDispense(ctx, env, args[1:])
		}
	}
	return usageError{"the rx subcommands are: verify, dispense"}
}

// readPrescription reads a handover text from a .hwrx file, a QR code
// picture (PNG or JPEG), standard input ("-"), or the argument itself when
// it is the text.
func (env *cli) readPrescription(arg string) (string, error) {
	if strings.HasPrefix(strings.TrimSpace(arg), rx.TextPrefix) {
		return arg, nil
	}
	var r io.Reader = env.stdin
	if arg != "-" {
		f, err := os.Open(arg)
		if err != nil {
			return "", err
		}
		defer f.Close()
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, qr.MaxImageBytes+1))
	if err != nil {
		return "", fmt.Errorf("%s: %w", arg, err)
	}
	if len(b) > qr.MaxImageBytes {
		return "", fmt.Errorf("%s: too large for a prescription or its picture", arg)
	}
	if isPicture(b) {
		text, err := qr.Read(bytes.NewReader(b))
		if err != nil {
			return "", fmt.Errorf("%s: %w", arg, err)
		}
		return text, nil
	}
	// A text that does not decode still gets a verdict: "unreadable".
	return string(b), nil
}

// isPicture reports whether b starts like a PNG or a JPEG file.
func isPicture(b []byte) bool {
	return bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")) || bytes.HasPrefix(b, []byte{0xFF, 0xD8, 0xFF})
}

// runRxVerify prints a pharmacist's verdict on a prescription, from the
// local copy of the chain: the verdict first, then every check. Exit
// status 0: it may be dispensed; 1: refused; 2: could not judge.
func runRxVerify(ctx context.Context, env *cli, args []string) error {
	fs := env.flags("rx verify")
	offline := fs.Bool("offline", false, "do not contact the member nodes: judge from this wallet's copy of the chain")
	rest, err := env.parse(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return usageError{"give the prescription: a .hwrx file, a QR code picture, or - for standard input"}
	}
	text, err := env.readPrescription(rest[0])
	if err != nil {
		return cannotJudge(err)
	}
	w, err := env.openReading(ctx, *offline)
	if err != nil {
		return cannotJudge(err)
	}
	defer w.Close()
	v, err := w.VerifyPrescription(text)
	if err != nil {
		return cannotJudge(err)
	}
	printVerdict(env.stdout, v, "")
	if !v.OK {
		return exitStatus{code: 1}
	}
	return nil
}

// runRxDispense (a pharmacist with a valid pharmacist credential) judges
// the prescription and, if it passes, records the dispense on the chain.
// Exit status 0: dispensed; 1: refused; 2: could not act.
func runRxDispense(ctx context.Context, env *cli, args []string) error {
	fs := env.flags("rx dispense")
	rest, err := env.parse(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return usageError{"give the prescription: a .hwrx file, a QR code picture, or - for standard input"}
	}
	text, err := env.readPrescription(rest[0])
	if err != nil {
		return cannotJudge(err)
	}
	w, done, err := env.openOnChain(ctx)
	if err != nil {
		return cannotJudge(err)
	}
	defer done()
	v, err := w.Dispense(ctx, text)
	switch {
	case errors.Is(err, wallet.ErrDispenseRefused):
		if v.OK {
			// Lost a race: the verdict still passes, for the next refill.
			fmt.Fprintf(env.stdout, "NOT DISPENSED — %s\n", strings.TrimPrefix(err.Error(), wallet.ErrDispenseRefused.Error()+": "))
			return exitStatus{code: 1}
		}
		printVerdict(env.stdout, v, "")
		return exitStatus{code: 1}
	case err != nil:
		return cannotJudge(err)
	}
	p := v.Prescription
	printVerdict(env.stdout, v, fmt.Sprintf("DISPENSED — dispense %d of %d recorded on the ledger (block %d); %s",
		int(p.Dispenses)-v.Remaining, p.Dispenses, w.Ledger().Head().Number, remaining(v.Remaining)))
	return nil
}

func remaining(n int) string {
	if n == 0 {
		return "none left"
	}
	return plural(n, "refill", "refills") + " left"
}

// printVerdict prints a verdict for the pharmacist: the headline (or
// PASS/FAIL), what is prescribed and by whom, then every check.
func printVerdict(out io.Writer, v rx.Verdict, headline string) {
	switch {
	case headline != "":
		fmt.Fprintln(out, headline)
	case v.OK:
		fmt.Fprintf(out, "PASS — may be dispensed (%d of %d dispenses left)\n", v.Remaining, v.Prescription.Dispenses)
	default:
		var why []string
		for _, r := range v.Reasons {
			why = append(why, reasonName(r))
		}
		fmt.Fprintf(out, "FAIL — do not dispense: %s\n", strings.Join(why, "; "))
	}
	if p := v.Prescription; p != nil {
		o := v.Order
		fmt.Fprintf(out, "\n%s\n", medication(o))
		fmt.Fprintf(out, "  %s %s per dispense; %s\n", strconv.FormatFloat(o.Quantity, 'f', -1, 64), o.Unit, o.Dosage)
		if o.Note != "" {
			fmt.Fprintf(out, "  note: %s\n", o.Note)
		}
		fmt.Fprintf(out, "  for patient %s\n", p.Patient)
		by := identity.IDFromSigningKey(p.Prescriber[:]).String()
		if p.PrescriberName != "" {
			by = p.PrescriberName + " (" + by + ")"
		}
		if v.IssuerName != "" {
			by += ", licensed by " + v.IssuerName
		}
		fmt.Fprintf(out, "  by %s\n", by)
		written := "written " + longTime(p.Written) + " (prescriber's clock)"
		if !v.Committed.IsZero() {
			written = "on the ledger since " + longTime(v.Committed)
		}
		fmt.Fprintf(out, "  %s; %s allowed, until %s\n", written, plural(int(p.Dispenses), "dispense", "dispenses"), longTime(p.Expiry))
	}
	fmt.Fprintln(out)
	for _, c := range v.Checks {
		mark := "✓"
		if !c.OK {
			mark = "✗"
		}
		fmt.Fprintf(out, "%s %s — %s\n", mark, c.Name, c.Detail)
	}
}

// reasonName is a refusal in the pharmacist's words.
func reasonName(err error) string {
	for _, r := range []struct {
		err  error
		name string
	}{
		{rx.ErrMalformed, "unreadable or malformed"},
		{rx.ErrAltered, "content altered"},
		{rx.ErrForged, "forged: the signer is not a prescriber"},
		{rx.ErrPrescriberInvalid, "prescriber's licence not valid when it was written"},
		{rx.ErrUnknown, "unknown to the ledger"},
		{rx.ErrExpired, "expired"},
		{rx.ErrAlreadyDispensed, "already dispensed"},
	} {
		if errors.Is(err, r.err) {
			return r.name
		}
	}
	return err.Error()
}

// medication names an order's medication with its code.
func medication(o rx.Order) string {
	system := o.Medication.System
	if system == rx.RxNorm {
		system = "RxNorm"
	}
	if o.Medication.Display == "" {
		return fmt.Sprintf("%s %s", system, o.Medication.Code)
	}
	return fmt.Sprintf("%s (%s %s)", o.Medication.Display, system, o.Medication.Code)
}
