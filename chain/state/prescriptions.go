package state

import (
	"database/sql"
	"errors"
	"fmt"

	"github.com/healthwallet/healthwallet/chain"
)

// E-prescriptions: a prescriber's commitment and the dispenses recorded
// against it. The rules make a dispense count exactly once network-wide:
// each Dispense names its sequence number, which must be the next one, so
// of two pharmacies presenting the same prescription at once only one
// transaction can enter the chain and the other is refused.

func init() {
	Register(chain.TypePrescriptionCommit, prescriptionHandler{})
	Register(chain.TypeDispense, dispenseHandler{})
}

// DispenseRecord is one recorded dispense.
type DispenseRecord struct {
	Seq        uint8
	Pharmacist chain.PublicKey
	Block      uint64
	Time       uint64
	Tx         chain.Hash
}

// Prescription is a committed prescription and its dispenses.
type Prescription struct {
	Commitment chain.Hash
	Prescriber chain.PublicKey
	Dispenses  uint8  // allowed
	Expiry     uint64 // Unix seconds
	Block      uint64 // committed in
	Time       uint64 // that block's time: the writing time that counts
	Tx         chain.Hash
	Dispensed  []DispenseRecord // oldest first
}

// Remaining returns the dispenses left.
func (p Prescription) Remaining() int { return int(p.Dispenses) - len(p.Dispensed) }

func prescription(q querier, commitment chain.Hash) (Prescription, error) {
	p := Prescription{Commitment: commitment}
	var prescriber, tx []byte
	var dispenses int
	var expiry, blk, tm int64
	err := q.QueryRow(`SELECT prescriber, dispenses, expiry, tx, block, time FROM prescriptions WHERE commitment = ?`, commitment[:]).
		Scan(&prescriber, &dispenses, &expiry, &tx, &blk, &tm)
	if errors.Is(err, sql.ErrNoRows) {
		return Prescription{}, fmt.Errorf("prescription %s: %w", commitment, ErrNotFound)
	}
	if err != nil {
		return Prescription{}, err
	}
	copy(p.Prescriber[:], prescriber)
	copy(p.Tx[:], tx)
	p.Dispenses, p.Expiry, p.Block, p.Time = uint8(dispenses), uint64(expiry), uint64(blk), uint64(tm)
	rows, err := q.Query(`SELECT seq, pharmacist, tx, block, time FROM dispenses WHERE commitment = ? ORDER BY seq`, commitment[:])
	if err != nil {
		return Prescription{}, err
	}
	defer rows.Close()
	for rows.Next() {
		var d DispenseRecord
		var seq int
		var pharmacist, dtx []byte
		var dblk, dtm int64
		if err := rows.Scan(&seq, &pharmacist, &dtx, &dblk, &dtm); err != nil {
			return Prescription{}, err
		}
		copy(d.Pharmacist[:], pharmacist)
		copy(d.Tx[:], dtx)
		d.Seq, d.Block, d.Time = uint8(seq), uint64(dblk), uint64(dtm)
		p.Dispensed = append(p.Dispensed, d)
	}
	return p, rows.Err()
}

// Prescription returns a committed prescription with its dispenses
// (ErrNotFound).
func (s *State) Prescription(commitment chain.Hash) (Prescription, error) {
	return prescription(s.db, commitment)
}

type prescriptionHandler struct{}

func (prescriptionHandler) Check(st *Tx, tx *chain.Tx, blk BlockContext) error {
	p, err := bodyAs[chain.PrescriptionCommit](tx)
	if err != nil {
		return err
	}
	if _, ok, err := validCredential(st, tx.Sender(), blk.Time, chain.KindPrescriber); err != nil {
		return err
	} else if !ok {
		return fmt.Errorf("prescription from a key with no valid prescriber credential: %w", ErrUnauthorized)
	}
	if p.Expiry <= blk.Time {
		return fmt.Errorf("prescription expired (%d) at block time %d: %w", p.Expiry, blk.Time, chain.ErrInvalid)
	}
	var one int
	switch err := st.QueryRow(`SELECT 1 FROM prescriptions WHERE commitment = ?`, p.Commitment[:]).Scan(&one); {
	case err == nil:
		return fmt.Errorf("prescription %s already committed: %w", p.Commitment, ErrConflict)
	case !errors.Is(err, sql.ErrNoRows):
		return err
	}
	return nil
}

func (prescriptionHandler) Apply(st *Tx, tx *chain.Tx, blk BlockContext) error {
	p := tx.Body().(chain.PrescriptionCommit)
	s, id := tx.Sender(), tx.Hash()
	_, err := st.Exec(`INSERT INTO prescriptions(commitment, prescriber, dispenses, expiry, tx, block, pos, time) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		p.Commitment[:], s[:], int(p.Dispenses), sq(p.Expiry), id[:], int64(blk.Number), blk.Pos, sq(blk.Time))
	return conflict(err)
}

func (prescriptionHandler) Revert(st *Tx, number uint64) error {
	return deleteBlockRows(st, number, "prescriptions")
}

type dispenseHandler struct{}

func (dispenseHandler) Check(st *Tx, tx *chain.Tx, blk BlockContext) error {
	d, err := bodyAs[chain.Dispense](tx)
	if err != nil {
		return err
	}
	if _, ok, err := validCredential(st, tx.Sender(), blk.Time, chain.KindPharmacist); err != nil {
		return err
	} else if !ok {
		return fmt.Errorf("dispense by a key with no valid pharmacist credential: %w", ErrUnauthorized)
	}
	p, err := prescription(st, d.Commitment)
	if err != nil {
		return err
	}
	if blk.Time > p.Expiry {
		return fmt.Errorf("prescription %s expired at %d (block time %d): %w", d.Commitment, p.Expiry, blk.Time, ErrConflict)
	}
	if len(p.Dispensed) >= int(p.Dispenses) {
		return fmt.Errorf("prescription %s already dispensed %d of %d times: %w", d.Commitment, len(p.Dispensed), p.Dispenses, ErrConflict)
	}
	if int(d.Seq) != len(p.Dispensed)+1 {
		return fmt.Errorf("dispense %d of prescription %s, but %d are recorded: %w", d.Seq, d.Commitment, len(p.Dispensed), ErrConflict)
	}
	return nil
}

func (dispenseHandler) Apply(st *Tx, tx *chain.Tx, blk BlockContext) error {
	d := tx.Body().(chain.Dispense)
	s, id := tx.Sender(), tx.Hash()
	_, err := st.Exec(`INSERT INTO dispenses(commitment, seq, pharmacist, tx, block, pos, time) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		d.Commitment[:], int(d.Seq), s[:], id[:], int64(blk.Number), blk.Pos, sq(blk.Time))
	return conflict(err)
}

func (dispenseHandler) Revert(st *Tx, number uint64) error {
	return deleteBlockRows(st, number, "dispenses")
}
