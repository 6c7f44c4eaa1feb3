package app

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/healthwallet/healthwallet/chain"
	"github.com/healthwallet/healthwallet/wallet"
)

// testBoard is the licensing authority the tests' clinic admits.
const testBoard = "Test Medical Board"

// licensing is a consortium whose clinic admitted a licensing authority
// (its wallet open outside any UI).
type licensing struct {
	*testConsortium
	board *wallet.Wallet
}

// newLicensing starts a consortium with the members named and a board the
// clinic admits to issue kinds.
func newLicensing(t *testing.T, kinds chain.CredentialKinds, names ...string) (*licensing, map[string]string) {
	t.Helper()
	c, dirs := newConsortium(t, append(names, "board")...)
	board := c.open(t, dirs["board"])
	t.Cleanup(func() { board.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := c.Clinic.VoteAuthority(ctx, board.ChainKey(), true, testBoard, kinds); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the board admitted", func() bool { _, ok, err := board.MyAuthority(); return err == nil && ok })
	return &licensing{c, board}, dirs
}

// issue has the board issue a credential of kind (a licence's name or a
// training's) to subject, valid from an hour ago until until.
func (l *licensing) issue(t *testing.T, subject chain.PublicKey, kind, specialty string, until time.Time) wallet.HeldCredential {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	number := ""
	if _, err := chain.ParseCredentialKind(kind); err == nil {
		number = "BIG-" + kind
	}
	h, err := l.board.IssueCredential(ctx, wallet.CredentialRequest{Subject: subject, Kind: kind, LicenceNumber: number,
		Jurisdiction: "NL", Specialty: specialty, ValidFrom: time.Now().Add(-time.Hour), ValidUntil: until})
	if err != nil {
		t.Fatalf("issue %s: %v", kind, err)
	}
	return h
}

// fileButtonNamed finds the button that opens files, to hand it a file as
// the dialog would.
func fileButtonNamed(t *testing.T, w fyne.Window, text string) *fileButton {
	t.Helper()
	var b *fileButton
	waitFor(t, "the button "+text, func() bool {
		everything(w, func(o fyne.CanvasObject) {
			if x, ok := o.(*fileButton); ok && x.Text == text {
				b = x
			}
		})
		return b != nil
	})
	return b
}

// useFile hands data to a file button as if chosen in its dialog.
func useFile(b *fileButton, name string, data []byte) {
	onUI(func() { b.use(name, io.NopCloser(bytes.NewReader(data))) })
}

// canvasTexts are the texts drawn directly on the canvas (the large
// verdict).
func canvasTexts(w fyne.Window) []string {
	var out []string
	everything(w, func(o fyne.CanvasObject) {
		if x, ok := o.(*canvas.Text); ok && x.Text != "" {
			out = append(out, x.Text)
		}
	})
	return out
}

func hasCanvasText(w fyne.Window, s string) bool {
	for _, x := range canvasTexts(w) {
		if x == s {
			return true
		}
	}
	return false
}

// closeDialogs taps every dialog's Close or OK button.
func closeDialogs(w fyne.Window) {
	onUI(func() {
		for _, o := range w.Canvas().Overlays().List() {
			walk(o, func(o fyne.CanvasObject) {
				if b, ok := o.(*widget.Button); ok && (b.Text == "OK" || b.Text == "Close") {
					test.Tap(b)
				}
			})
		}
	})
}

// A clinician's own credentials: the file the board gave is added and
// shows as valid with its details; a suspension on the ledger shows at
// once, and so does the reinstatement; a document issued to someone else
// and a tampered one are refused in words.
func TestCredentialsScreen(t *testing.T) {
	l, dirs := newLicensing(t, chain.KindsOf(chain.KindPhysician, chain.KindTraining), "doctor", "nurse")
	u := unlockUI(t, dirs["doctor"])
	win := u.Window()
	me := u.Wallet().ChainKey()
	licence := l.issue(t, me, "physician", "cardiology", time.Now().AddDate(2, 0, 0))
	mri := l.issue(t, me, "MRI safety", "", time.Now().AddDate(0, 0, 20))

	// The anchored licence makes the wallet a licensed one: the section
	// appears without a registration.
	openSection(t, u, "Credentials")
	waitFor(t, "an empty list", func() bool { return labelContaining(win, "None in this wallet yet.") })
	add := fileButtonNamed(t, win, "Add a credential file…")
	useFile(add, "physician.json", licence.Doc)
	waitFor(t, "the added message", func() bool {
		return strings.Contains(strings.Join(overlayLabels(win), "\n"), "Physician licence is in your wallet. Valid until")
	})
	closeDialogs(win)
	useFile(add, "mri.json", mri.Doc)
	waitFor(t, "both credentials listed", func() bool {
		return labelContaining(win, "Issued by "+testBoard+" · number BIG-physician · NL · cardiology") &&
			hasLabel(win, func(s string) bool { return s == "MRI safety training" })
	})
	closeDialogs(win)

	// The board suspends the licence: the wallet's list says so.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := l.board.SetCredentialStatus(ctx, licence.Hash, chain.StatusSuspended); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the suspension", func() bool { return labelContaining(win, "Not valid: suspended by "+testBoard+" on ") })
	if err := l.board.SetCredentialStatus(ctx, licence.Hash, chain.StatusActive); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the reinstatement", func() bool { return !labelContaining(win, "Not valid: suspended") })

	// Someone else's document, and a tampered one.
	nurse := c2open(t, l, dirs["nurse"])
	theirs := l.issue(t, nurse.ChainKey(), "physician", "", time.Now().AddDate(1, 0, 0))
	// The suspension changed the wallet's licences, so the frame built the
	// section anew.
	add = fileButtonNamed(t, win, "Add a credential file…")
	useFile(add, "theirs.json", theirs.Doc)
	waitFor(t, "the refusal of another's credential", func() bool {
		return strings.Contains(strings.Join(overlayLabels(win), "\n"), "issued to another key")
	})
	closeDialogs(win)
	tampered := bytes.Replace(licence.Doc, []byte("cardiology"), []byte("neurosurgery"), 1)
	useFile(add, "tampered.json", tampered)
	waitFor(t, "the refusal of a tampered credential", func() bool {
		return strings.Contains(strings.Join(overlayLabels(win), "\n"), "not a genuine credential")
	})
}

// c2open opens another member's wallet for the test's lifetime.
func c2open(t *testing.T, l *licensing, dir string) *wallet.Wallet {
	t.Helper()
	w := l.open(t, dir)
	t.Cleanup(func() { w.Close() })
	return w
}

// A patient sees, on each request, what the ledger says of its sender: a
// verified physician, or a warning for a registered key with no licence;
// with "Refuse requests from unverified keys" on in Settings, the wallet
// declines the unverified one by itself and keeps the other.
func TestRequestShowsClinicianVerdict(t *testing.T) {
	l, dirs := newLicensing(t, chain.KindsOf(chain.KindPhysician), "patient", "doctor", "stranger")
	doctor, stranger := c2open(t, l, dirs["doctor"]), c2open(t, l, dirs["stranger"])
	l.register(t, doctor)
	l.register(t, stranger)
	l.issue(t, doctor.ChainKey(), "physician", "", time.Now().AddDate(1, 0, 0))

	u := unlockUI(t, dirs["patient"])
	win := u.Window()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	req := wallet.AccessRequest{Categories: []string{"conditions"}, Purpose: chain.PurposeTREAT, Duration: 24 * time.Hour}
	for _, w := range []*wallet.Wallet{doctor, stranger} {
		if _, err := w.RequestAccess(ctx, u.Wallet().ID(), req); err != nil {
			t.Fatal(err)
		}
	}
	openSection(t, u, "Sharing")
	waitFor(t, "both verdicts", func() bool {
		return labelContaining(win, "Verified physician, "+testBoard) && labelContaining(win, "This key holds no valid licence on the ledger")
	})

	openSection(t, u, "Settings")
	var refuse *widget.Check
	waitFor(t, "the policy switch", func() bool {
		everything(win, func(o fyne.CanvasObject) {
			if c, ok := o.(*widget.Check); ok && c.Text == "Refuse requests from unverified keys" {
				refuse = c
			}
		})
		return refuse != nil
	})
	onUI(func() { test.Tap(refuse) })
	waitFor(t, "the policy saved", func() bool { return u.Wallet().RefuseUnverified() })
	waitFor(t, "the stranger's request declined", func() bool {
		reqs, err := u.Wallet().PendingRequests(ctx)
		return err == nil && len(reqs) == 1 && reqs[0].Clinician == doctor.ChainKey()
	})
	openSection(t, u, "Sharing")
	waitFor(t, "only the verified request left", func() bool {
		return labelContaining(win, "Verified physician, "+testBoard) && !labelContaining(win, "This key holds no valid licence")
	})
}

// A clinic checks a candidate: by ID (every credential the ledger holds
// for them) and by the file they show, which it then files with its staff
// records.
func TestCheckCandidate(t *testing.T) {
	c := newClinicNode(t)
	win := c.u.Window()
	clinic := c.u.Wallet()
	board, doctor := c.member(t), c.member(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := clinic.VoteAuthority(ctx, board.ChainKey(), true, testBoard, chain.KindsOf(chain.KindNurse, chain.KindTraining)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the board admitted", func() bool { _, ok, err := board.MyAuthority(); return err == nil && ok })
	nurse, err := board.IssueCredential(ctx, wallet.CredentialRequest{Subject: doctor.ChainKey(), Kind: "nurse", LicenceNumber: "RN-7",
		Jurisdiction: "NL", Specialty: "intensive care", ValidFrom: time.Now().Add(-time.Hour), ValidUntil: time.Now().AddDate(1, 0, 0)})
	if err != nil {
		t.Fatal(err)
	}

	openSection(t, c.u, "Credentials")
	id := entryWithPlaceholder(t, win, "the clinician's Health Wallet ID")
	typeInto(id, doctor.ID().String())
	tap(t, win, "Check")
	waitFor(t, "the verdict by ID", func() bool {
		return labelContaining(win, ": Verified nurse, "+testBoard) && labelContaining(win, "Issued by "+testBoard+" · from ")
	})

	useFile(fileButtonNamed(t, win, "Check a credential file…"), "nurse.json", nurse.Doc)
	waitFor(t, "the verdict on the file", func() bool { return labelContaining(win, "Issued to "+shortHWID(doctor.ID().String())) })
	tap(t, win, "File with staff records")
	waitFor(t, "filed", func() bool {
		return strings.Contains(strings.Join(overlayLabels(win), "\n"), "is filed with this clinic's staff records")
	})
	closeDialogs(win)
	// Filed, the document's details show with the ledger's verdict.
	tap(t, win, "Check")
	waitFor(t, "the details from the filed document", func() bool {
		return labelContaining(win, ": Verified nurse, "+testBoard) && labelContaining(win, "number RN-7 · NL · intensive care")
	})

	// A file that is not a credential is refused in words.
	useFile(fileButtonNamed(t, win, "Check a credential file…"), "notes.json", []byte(`{"hello":"world"}`))
	waitFor(t, "the refusal", func() bool {
		return labelContaining(win, "notes.json: ") && labelContaining(win, "not a genuine credential")
	})
}
