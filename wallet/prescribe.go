package wallet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/healthwallet/healthwallet/chain"
	"github.com/healthwallet/healthwallet/chain/ledger"
	"github.com/healthwallet/healthwallet/chain/state"
	"github.com/healthwallet/healthwallet/wallet/identity"
	"github.com/healthwallet/healthwallet/wallet/rx"
)

// E-prescriptions. A prescriber's wallet writes a signed prescription
// (wallet/rx), commits its salted hash on the chain and, when the patient
// granted it write access to medications, adds it to the patient's records
// (encrypted to the patient, like any clinician-authored record). The
// patient hands the prescription to a pharmacy as a QR code or a file; the
// pharmacist's wallet judges it from its own copy of the chain and records
// the dispense, which the chain accepts exactly once per allowed dispense,
// network-wide.

var (
	// ErrNotPrescriber: this wallet's key holds no valid prescriber
	// credential.
	ErrNotPrescriber = errors.New("writing prescriptions needs a valid prescriber credential on the ledger")
	// ErrNotPharmacist: this wallet's key holds no valid pharmacist
	// credential.
	ErrNotPharmacist = errors.New("dispensing needs a valid pharmacist credential on the ledger")
	// ErrDispenseRefused: the prescription may not be dispensed; the
	// verdict returned with it names every reason.
	ErrDispenseRefused = errors.New("not dispensed")
)

// handoverExtension is the FHIR extension through which a prescription
// delivered as a patient's record carries its handover text.
const handoverExtension = "urn:healthwallet:fhir:prescription-handover"

// PrescriptionRequest is what a prescriber fills in.
type PrescriptionRequest struct {
	Patient        identity.ID
	PrescriberName string // as printed on the prescription: "Dr. Ada Demo"
	Order          rx.Order
}

// Prescribed is a written, committed prescription.
type Prescribed struct {
	Prescription *rx.Prescription
	Text         string // the handover text (QR code content, .hwrx file)
	// Delivered: it was added to the patient's records (the prescriber
	// holds a write grant covering medications); otherwise the patient gets
	// it only as the QR code or file.
	Delivered bool
}

// Prescribe writes a prescription, commits it on the chain and waits until
// that is settled, then delivers it to the patient's records when a write
// grant allows.
func (w *Wallet) Prescribe(ctx context.Context, r PrescriptionRequest) (Prescribed, error) {
	if w.chain == nil {
		return Prescribed{}, ErrNoChain
	}
	v, err := w.VerifyClinician(w.ChainKey())
	if err != nil {
		return Prescribed{}, err
	}
	if !v.Holds(chain.KindPrescriber) {
		return Prescribed{}, fmt.Errorf("wallet: prescribe: %w (%s)", ErrNotPrescriber, v.Summary)
	}
	name := strings.TrimSpace(r.PrescriberName)
	p, err := rx.Write(r.Order, w.id.SigningKey(), name, r.Patient.String(), w.opts.now())
	if err != nil {
		return Prescribed{}, fmt.Errorf("wallet: prescribe: %w", err)
	}
	if _, err := w.Submit(ctx, p.Commit()); err != nil {
		return Prescribed{}, fmt.Errorf("wallet: prescribe: %w", err)
	}
	if err := w.WaitSettled(ctx); err != nil {
		return Prescribed{}, err
	}
	out := Prescribed{Prescription: p, Text: p.Encode()}
	record, err := deliverable(p)
	if err != nil {
		return out, err
	}
	patient := chain.PublicKey(r.Patient.SigningKey())
	if _, err := w.AddForPatient(ctx, patient, "prescription.json", record); err == nil {
		out.Delivered = true
	} else if !errors.Is(err, ErrNoWriteGrant) {
		return out, fmt.Errorf("wallet: prescription committed, but not delivered to the patient's records: %w", err)
	}
	return out, nil
}

// deliverable is the MedicationRequest as the patient's record: the signed
// content plus an extension holding the handover text, so the patient's
// wallet can show the QR code later.
func deliverable(p *rx.Prescription) ([]byte, error) {
	var mr map[string]any
	if err := json.Unmarshal(p.Request, &mr); err != nil {
		return nil, fmt.Errorf("wallet: prescription content: %w", err)
	}
	mr["extension"] = []any{map[string]any{"url": handoverExtension, "valueString": p.Encode()}}
	return json.Marshal(mr)
}

// handoverIn returns the handover text a MedicationRequest record carries,
// or "" if none.
func handoverIn(data []byte) string {
	var mr struct {
		ResourceType string `json:"resourceType"`
		Extension    []struct {
			URL         string `json:"url"`
			ValueString string `json:"valueString"`
		} `json:"extension"`
	}
	if json.Unmarshal(data, &mr) != nil || mr.ResourceType != "MedicationRequest" {
		return ""
	}
	for _, e := range mr.Extension {
		if e.URL == handoverExtension {
			return e.ValueString
		}
	}
	return ""
}

// PrescriptionRecord is a prescription in a patient's records.
type PrescriptionRecord struct {
	Prescription *rx.Prescription
	Order        rx.Order
	Text         string // the handover text to show as a QR code
	RecordID     string // the kept record's ID, or "" while still incoming
	Anchor       chain.Hash
	Remaining    int  // dispenses left, from the chain
	Expired      bool // past its expiry
}

// Prescriptions lists the prescriptions delivered to this patient's
// records (kept or still incoming), newest first, with what the chain says
// of their dispenses.
func (w *Wallet) Prescriptions(ctx context.Context) ([]PrescriptionRecord, error) {
	if w.chain == nil {
		return nil, ErrNoChain
	}
	var out []PrescriptionRecord
	add := func(data []byte, recordID string, anchor chain.Hash) {
		text := handoverIn(data)
		if text == "" {
			return
		}
		p, err := rx.Decode(text)
		if err != nil {
			w.log.Warn("wallet: a prescription record does not decode", "record", recordID, "err", err)
			return
		}
		o, _ := p.Order()
		pr := PrescriptionRecord{Prescription: p, Order: o, Text: text, RecordID: recordID, Anchor: anchor,
			Expired: w.opts.now().After(p.Expiry)}
		if c, err := w.chain.ledger.State().Prescription(p.Commitment()); err == nil {
			pr.Remaining = c.Remaining()
		}
		out = append(out, pr)
	}
	recs, err := w.List(ctx, Query{ResourceType: "MedicationRequest"})
	if err != nil {
		return nil, err
	}
	for _, r := range recs {
		_, data, err := w.Read(ctx, r.ID)
		if err != nil {
			return nil, err
		}
		add(data, r.ID, chain.Hash{})
	}
	incoming, err := w.Incoming(ctx)
	if err != nil {
		return nil, err
	}
	for _, in := range incoming {
		if in.State != "new" || in.Category != chain.CategoryMedications {
			continue
		}
		data, err := w.ReadIncoming(ctx, in.Anchor)
		if err != nil {
			w.log.Warn("wallet: an incoming record does not open", "anchor", in.Anchor, "err", err)
			continue
		}
		add(data, "", in.Anchor)
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j].Prescription.Written.After(out[j-1].Prescription.Written); j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out, nil
}

// VerifyPrescription judges a prescription's handover text from this
// wallet's copy of the chain alone.
func (w *Wallet) VerifyPrescription(text string) (rx.Verdict, error) {
	if w.chain == nil {
		return rx.Verdict{}, ErrNoChain
	}
	return rx.VerifyText(text, w.chain.ledger.State(), time.Unix(int64(w.chainTime()), 0))
}

// Dispense (a pharmacist's wallet) judges the prescription and, if it
// passes, records the next dispense on the chain and waits until that is
// settled. A refusal returns the verdict with its reasons and an error
// wrapping ErrDispenseRefused; so does a race lost to another pharmacy
// dispensing the same prescription at the same moment.
func (w *Wallet) Dispense(ctx context.Context, text string) (rx.Verdict, error) {
	if w.chain == nil {
		return rx.Verdict{}, ErrNoChain
	}
	me, err := w.VerifyClinician(w.ChainKey())
	if err != nil {
		return rx.Verdict{}, err
	}
	if !me.Holds(chain.KindPharmacist) {
		return rx.Verdict{}, fmt.Errorf("wallet: dispense: %w (%s)", ErrNotPharmacist, me.Summary)
	}
	v, err := w.VerifyPrescription(text)
	if err != nil {
		return v, err
	}
	if !v.OK {
		return v, refused(v)
	}
	p := v.Prescription
	seq := uint8(int(p.Dispenses) - v.Remaining + 1)
	commitment := p.Commitment()
	l := w.chain.ledger
	tx, err := w.Submit(ctx, chain.Dispense{Commitment: commitment, Seq: seq})
	if err != nil {
		if errors.Is(err, state.ErrConflict) {
			// Another dispense got in since the verdict: judge again.
			v2, verr := w.VerifyPrescription(text)
			if verr == nil && !v2.OK {
				return v2, refused(v2)
			}
		}
		return v, fmt.Errorf("wallet: dispense: %w", err)
	}
	// Wait for the seq-th dispense of this prescription, by anyone.
	var rec state.Prescription
	if err := l.WaitFor(ctx, func(ledger.Tip) bool {
		var err error
		rec, err = l.State().Prescription(commitment)
		return err == nil && len(rec.Dispensed) >= int(seq)
	}); err != nil {
		return v, fmt.Errorf("wallet: dispense: waiting for the chain: %w", err)
	}
	if rec.Dispensed[seq-1].Tx != tx.Hash() {
		// Another pharmacy's dispense took this turn: ours can never be
		// included and must not hold up this wallet's next transactions.
		l.Pool().Remove(tx.Hash())
		v2, err := w.VerifyPrescription(text)
		if err != nil {
			return v2, err
		}
		if v2.OK {
			return v2, fmt.Errorf("%w: another pharmacy dispensed it at the same moment; dispense again for the next refill", ErrDispenseRefused)
		}
		return v2, refused(v2)
	}
	if err := w.WaitSettled(ctx); err != nil {
		return v, err
	}
	return w.VerifyPrescription(text)
}

func refused(v rx.Verdict) error {
	if len(v.Reasons) == 0 {
		return ErrDispenseRefused
	}
	return fmt.Errorf("%w: %w", ErrDispenseRefused, v.Reasons[0])
}
