package chain

import "fmt"

// Custody of packs moves by two signed events: the holder's Shipment and
// the recipient's Receipt naming it. Until the receipt the sender keeps
// custody; the recipient's signature is what moves it. A pharmacy's
// PackDispense ends a pack's life on the chain, once.

// Shipment is an organisation sending packs of one batch to another: the
// whole batch, or listed serials. Its transaction hash is the shipment's
// ID, which the Receipt names. Signed by a registered organisation holding
// custody of everything it ships (AuthCustodian).
//
// Wire form (body of type 21):
//
//	gtin     text      as BatchCommission's
//	lot      text      as BatchCommission's
//	to       fixed 32  the recipient organisation's key
//	serials  uvarint count (0..MaxShipmentSerials), then each as text
//	                   (1..MaxGS1FieldLen, set 82), strictly increasing;
//	                   none: the whole batch
type Shipment struct {
	GTIN    string
	Lot     string
	To      PublicKey
	Serials []string // nil: the whole batch
}

func (Shipment) Type() TxType { return TypeShipment }

func (Shipment) Authority() Authority { return AuthCustodian }

func (s Shipment) Validate() error {
	if err := checkGTIN(s.GTIN); err != nil {
		return err
	}
	if err := checkSet82("lot", s.Lot); err != nil {
		return err
	}
	if err := checkKey("to", s.To); err != nil {
		return err
	}
	return checkSerials(s.Serials)
}

func (s Shipment) AppendBody(b []byte) []byte {
	e := NewEncoder(b)
	e.Text(s.GTIN)
	e.Text(s.Lot)
	e.Fixed(s.To[:])
	appendSerials(e, s.Serials)
	return e.Out()
}

func decodeShipment(b []byte) (Body, error) {
	d := NewDecoder(b)
	var s Shipment
	s.GTIN = d.Text("gtin", GTINLen)
	s.Lot = d.Text("lot", MaxGS1FieldLen)
	s.To = d.Key("to")
	s.Serials = decodeSerials(d)
	return finishBody(d, s)
}

// Receipt is the recipient of a shipment acknowledging it: custody of what
// the shipment lists passes to the recipient. Signed by the shipment's
// recipient (AuthConsignee), once per shipment.
//
// Wire form (body of type 22):
//
//	shipment  fixed 32  the Shipment's transaction hash, non-zero
type Receipt struct {
	Shipment Hash
}

func (Receipt) Type() TxType { return TypeReceipt }

func (Receipt) Authority() Authority { return AuthConsignee }

func (r Receipt) Validate() error {
	if r.Shipment.IsZero() {
		return fmt.Errorf("shipment hash is zero: %w", ErrInvalid)
	}
	return nil
}

func (r Receipt) AppendBody(b []byte) []byte {
	e := NewEncoder(b)
	e.Fixed(r.Shipment[:])
	return e.Out()
}

func decodeReceipt(b []byte) (Body, error) {
	d := NewDecoder(b)
	var r Receipt
	r.Shipment = d.Hash("shipment")
	return finishBody(d, r)
}

// PackDispense is a pharmacy handing one pack to a patient. A pack is
// dispensed once anywhere: a second dispense of the same serial is
// refused, so a copied DataMatrix code is caught at the second pharmacy.
// Signed by a registered pharmacy holding custody of the pack
// (AuthPharmacy).
//
// Wire form (body of type 23):
//
//	gtin    text  as BatchCommission's
//	lot     text  as BatchCommission's
//	serial  text  1..MaxGS1FieldLen characters of GS1 set 82
type PackDispense struct {
	GTIN   string
	Lot    string
	Serial string
}

func (PackDispense) Type() TxType { return TypePackDispense }

func (PackDispense) Authority() Authority { return AuthPharmacy }

func (p PackDispense) Validate() error {
	if err := checkGTIN(p.GTIN); err != nil {
		return err
	}
	if err := checkSet82("lot", p.Lot); err != nil {
		return err
	}
	return checkSet82("serial", p.Serial)
}

func (p PackDispense) AppendBody(b []byte) []byte {
	e := NewEncoder(b)
	e.Text(p.GTIN)
	e.Text(p.Lot)
	e.Text(p.Serial)
	return e.Out()
}

func decodePackDispense(b []byte) (Body, error) {
	d := NewDecoder(b)
	var p PackDispense
	p.GTIN = d.Text("gtin", GTINLen)
	p.Lot = d.Text("lot", MaxGS1FieldLen)
	p.Serial = d.Text("serial", MaxGS1FieldLen)
	return finishBody(d, p)
}
