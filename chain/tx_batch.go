package chain

import "fmt"

// BatchCommission is a manufacturer putting a batch of serialised packs on
// the market: its GTIN, lot and expiry, how many packs, the Merkle root of
// their serial numbers and the CID of the manufacturer's signed serial
// list (wallet/serials) in IPFS. A batch of any size is one transaction;
// a pack's serial is shown to be in the batch with a Merkle proof against
// Serials. Signed by a registered manufacturer (AuthManufacturer). A
// (GTIN, lot) is commissioned once, and a GTIN belongs to the first
// manufacturer that commissioned it.
//
// Wire form (body of type 20):
//
//	gtin     text      GTINLen digits, valid check digit
//	lot      text      1..MaxGS1FieldLen characters of GS1 set 82
//	expiry   text      YYMMDD (DD may be 00: the end of that month)
//	count    uvarint   1..MaxBatchSerials
//	serials  fixed 32  Merkle root (MerkleRoot) of the serials' leaf hashes, non-zero
//	list     bytes     CID of the signed serial list (required)
type BatchCommission struct {
	GTIN    string
	Lot     string
	Expiry  string
	Count   uint32
	Serials Hash
	List    CID
}

func (BatchCommission) Type() TxType { return TypeBatchCommission }

func (BatchCommission) Authority() Authority { return AuthManufacturer }

func (c BatchCommission) Validate() error {
	if err := checkGTIN(c.GTIN); err != nil {
		return err
	}
	if err := checkSet82("lot", c.Lot); err != nil {
		return err
	}
	if err := checkExpiry(c.Expiry); err != nil {
		return err
	}
	if c.Count == 0 {
		return fmt.Errorf("batch of no packs: %w", ErrInvalid)
	}
	if c.Count > MaxBatchSerials {
		return fmt.Errorf("batch of %d packs, limit %d: %w", c.Count, MaxBatchSerials, ErrTooLarge)
	}
	if c.Serials.IsZero() {
		return fmt.Errorf("serials root is zero: %w", ErrInvalid)
	}
	if c.List.IsZero() {
		return fmt.Errorf("serial list CID is missing: %w", ErrInvalid)
	}
	return nil
}

func (c BatchCommission) AppendBody(b []byte) []byte {
	e := NewEncoder(b)
	e.Text(c.GTIN)
	e.Text(c.Lot)
	e.Text(c.Expiry)
	e.Uvarint(uint64(c.Count))
	e.Fixed(c.Serials[:])
	e.CID(c.List)
	return e.Out()
}

func decodeBatchCommission(b []byte) (Body, error) {
	d := NewDecoder(b)
	var c BatchCommission
	c.GTIN = d.Text("gtin", GTINLen)
	c.Lot = d.Text("lot", MaxGS1FieldLen)
	c.Expiry = d.Text("expiry", ExpiryLen)
	c.Count = uint32(d.Len("count", MaxBatchSerials))
	c.Serials = d.Hash("serials")
	c.List = d.CID("list")
	return finishBody(d, c)
}

// RecallAction is what a Recall does. One byte on the wire.
type RecallAction uint8

// The actions. Numbers are frozen. A recall is final; a quarantine holds
// packs back until a release ends it.
const (
	ActionRecall     RecallAction = 1
	ActionQuarantine RecallAction = 2
	ActionRelease    RecallAction = 3
	recallActionEnd  RecallAction = 4
)

var recallActionNames = [...]string{ActionRecall: "recall", ActionQuarantine: "quarantine", ActionRelease: "release"}

// Valid reports whether a is a defined action.
func (a RecallAction) Valid() bool { return a > 0 && a < recallActionEnd }

// String returns the action's name.
func (a RecallAction) String() string {
	if a.Valid() {
		return recallActionNames[a]
	}
	return fmt.Sprintf("RecallAction(%d)", uint8(a))
}

// ParseRecallAction is the inverse of String.
func ParseRecallAction(s string) (RecallAction, error) {
	for a := RecallAction(1); a < recallActionEnd; a++ {
		if recallActionNames[a] == s {
			return a, nil
		}
	}
	return 0, fmt.Errorf("recall action %q: %w", s, ErrInvalid)
}

// Recall recalls, quarantines or releases a whole batch or some of its
// packs. It takes effect for every transaction after it: no node accepts a
// dispense of a recalled or quarantined pack in a later block. Signed by
// the batch's manufacturer or an admitted licensing authority
// (AuthRecaller).
//
// Wire form (body of type 24):
//
//	gtin     text     as BatchCommission's
//	lot      text     as BatchCommission's
//	serials  uvarint count (0..MaxShipmentSerials), then each as text
//	                  (1..MaxGS1FieldLen, set 82), strictly increasing;
//	                  none: the whole batch
//	action   u8       RecallAction
type Recall struct {
	GTIN    string
	Lot     string
	Serials []string // nil: the whole batch
	Action  RecallAction
}

func (Recall) Type() TxType { return TypeRecall }

func (Recall) Authority() Authority { return AuthRecaller }

func (r Recall) Validate() error {
	if err := checkGTIN(r.GTIN); err != nil {
		return err
	}
	if err := checkSet82("lot", r.Lot); err != nil {
		return err
	}
	if err := checkSerials(r.Serials); err != nil {
		return err
	}
	if !r.Action.Valid() {
		return fmt.Errorf("action %v: %w", r.Action, ErrInvalid)
	}
	return nil
}

func (r Recall) AppendBody(b []byte) []byte {
	e := NewEncoder(b)
	e.Text(r.GTIN)
	e.Text(r.Lot)
	appendSerials(e, r.Serials)
	e.Uint8(uint8(r.Action))
	return e.Out()
}

func decodeRecall(b []byte) (Body, error) {
	d := NewDecoder(b)
	var r Recall
	r.GTIN = d.Text("gtin", GTINLen)
	r.Lot = d.Text("lot", MaxGS1FieldLen)
	r.Serials = decodeSerials(d)
	r.Action = RecallAction(d.Uint8("action"))
	return finishBody(d, r)
}
