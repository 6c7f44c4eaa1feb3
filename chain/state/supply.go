package state

import (
	"database/sql"
	"errors"
	"fmt"

	"github.com/healthwallet/healthwallet/chain"
)

// The medicine supply chain: organisations (manufacturers, wholesalers,
// pharmacies) registered by a clinic signer or an admitted licensing
// authority, batches commissioned by their manufacturer, custody moved by a
// shipment and its receipt, packs dispensed once, recalls and quarantines.
//
// Custody is computed, never stored: a pack's holder is the recipient of
// the latest received shipment (in receipt order) of its batch that covers
// it, whole-batch or listing its serial, else the manufacturer. Under the
// rules below custody of a pack cannot move while it is in an unreceived
// shipment (only its holder may ship it, and not twice), so receipt order
// and shipment order agree for every pack.
//
// Like credentials, every row is an event that is never updated: a
// revocation and a receipt are rows of their own, so a revert is one
// DELETE per table and block.
//
// Refusals: ErrUnauthorized when the sender may not act (not a registered,
// unrevoked organisation of the right role, no custody, not the recipient,
// not the manufacturer or an authority), ErrNotFound when what the body
// names does not exist (a batch, a shipment, an organisation to revoke),
// ErrConflict when the state forbids it (twice, dispensed, recalled,
// quarantined, in transit), chain.ErrInvalid for shipping or registering
// to oneself.

func init() {
	Register(chain.TypeOrganisationRegister, orgRegisterHandler{})
	Register(chain.TypeOrganisationRevoke, orgRevokeHandler{})
	Register(chain.TypeBatchCommission, commissionHandler{})
	Register(chain.TypeShipment, shipmentHandler{})
	Register(chain.TypeReceipt, receiptHandler{})
	Register(chain.TypePackDispense, packDispenseHandler{})
	Register(chain.TypeRecall, recallHandler{})
}

// position orders events on the chain: by block, then by place in it.
type position struct{ block, pos int64 }

func (p position) after(o position) bool {
	return p.block > o.block || p.block == o.block && p.pos > o.pos
}

// Org is a registered supply-chain organisation.
type Org struct {
	Key          chain.PublicKey
	Role         chain.OrgRole
	Name         string
	GLN          string          // "" when it has none
	Registrar    chain.PublicKey // the signer or authority that registered it
	Block        uint64          // registered in
	Time         uint64          // that block's time
	Revoked      bool
	RevokedBy    chain.PublicKey
	RevokedBlock uint64
	RevokedTime  uint64
}

const orgSelect = `SELECT o.key, o.role, o.name, o.gln, o.registrar, o.block, o.time, v.revoker, v.block, v.time
	FROM organisations o LEFT JOIN organisation_revocations v ON v.key = o.key`

func scanOrgs(q querier, query string, args ...any) ([]Org, error) {
	rows, err := q.Query(query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Org
	for rows.Next() {
		var o Org
		var key, registrar, revoker []byte
		var role int
		var blk, tm int64
		var rblk, rtm sql.NullInt64
		if err := rows.Scan(&key, &role, &o.Name, &o.GLN, &registrar, &blk, &tm, &revoker, &rblk, &rtm); err != nil {
			return nil, err
		}
		copy(o.Key[:], key)
		copy(o.Registrar[:], registrar)
		o.Role, o.Block, o.Time = chain.OrgRole(role), uint64(blk), uint64(tm)
		if rblk.Valid {
			o.Revoked = true
			copy(o.RevokedBy[:], revoker)
			o.RevokedBlock, o.RevokedTime = uint64(rblk.Int64), uint64(rtm.Int64)
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

func organisation(q querier, k chain.PublicKey) (Org, error) {
	orgs, err := scanOrgs(q, orgSelect+` WHERE o.key = ?`, k[:])
	if err != nil {
		return Org{}, err
	}
	if len(orgs) == 0 {
		return Org{}, fmt.Errorf("organisation %s: %w", k, ErrNotFound)
	}
	return orgs[0], nil
}

// activeOrg returns k's registration and whether it is registered and
// unrevoked.
func activeOrg(q querier, k chain.PublicKey) (Org, bool, error) {
	o, err := organisation(q, k)
	if errors.Is(err, ErrNotFound) {
		return Org{}, false, nil
	}
	if err != nil {
		return Org{}, false, err
	}
	return o, !o.Revoked, nil
}

// Organisation returns a registered organisation, revoked or not
// (ErrNotFound).
func (s *State) Organisation(k chain.PublicKey) (Org, error) { return organisation(s.db, k) }

// Organisations returns every organisation ever registered, in the order
// they were registered.
func (s *State) Organisations() ([]Org, error) {
	return scanOrgs(s.db, orgSelect+` ORDER BY o.block, o.pos`)
}

type orgRegisterHandler struct{}

func (orgRegisterHandler) Check(st *Tx, tx *chain.Tx, blk BlockContext) error {
	r, err := bodyAs[chain.OrganisationRegister](tx)
	if err != nil {
		return err
	}
	sender := tx.Sender()
	if !blk.IsSigner(sender) {
		if _, ok, err := admittedAt(st, sender, blk.Time); err != nil {
			return err
		} else if !ok {
			return fmt.Errorf("organisation registered by a key that is neither a block signer nor an admitted authority: %w", ErrUnauthorized)
		}
	}
	if r.Org == sender {
		return fmt.Errorf("registrar registering itself as an organisation: %w", chain.ErrInvalid)
	}
	var one int
	switch err := st.QueryRow(`SELECT 1 FROM organisations WHERE key = ?`, r.Org[:]).Scan(&one); {
	case err == nil:
		return fmt.Errorf("organisation %s already registered (a revoked key stays revoked): %w", r.Org, ErrConflict)
	case !errors.Is(err, sql.ErrNoRows):
		return err
	}
	if r.GLN != "" {
		// Two live keys under one GLN would let a newcomer pass as an
		// established site; a revoked organisation's GLN may move to its
		// new key.
		var holder []byte
		switch err := st.QueryRow(`SELECT o.key FROM organisations o WHERE o.gln = ?
			AND NOT EXISTS (SELECT 1 FROM organisation_revocations v WHERE v.key = o.key) LIMIT 1`, r.GLN).Scan(&holder); {
		case err == nil:
			return fmt.Errorf("GLN %s already held by organisation %x: %w", r.GLN, holder, ErrConflict)
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
	}
	return nil
}

func (orgRegisterHandler) Apply(st *Tx, tx *chain.Tx, blk BlockContext) error {
	r := tx.Body().(chain.OrganisationRegister)
	s := tx.Sender()
	_, err := st.Exec(`INSERT INTO organisations(key, role, name, gln, registrar, block, pos, time) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		r.Org[:], int(r.Role), r.Name, r.GLN, s[:], int64(blk.Number), blk.Pos, sq(blk.Time))
	return conflict(err)
}

func (orgRegisterHandler) Revert(st *Tx, number uint64) error {
	return deleteBlockRows(st, number, "organisations")
}

type orgRevokeHandler struct{}

func (orgRevokeHandler) Check(st *Tx, tx *chain.Tx, blk BlockContext) error {
	r, err := bodyAs[chain.OrganisationRevoke](tx)
	if err != nil {
		return err
	}
	o, err := organisation(st, r.Org)
	if err != nil {
		return err
	}
	sender := tx.Sender()
	if !blk.IsSigner(sender) {
		if o.Registrar != sender {
			return fmt.Errorf("organisation %s revoked by a key that is neither a block signer nor its registrar: %w", r.Org, ErrUnauthorized)
		}
		if _, ok, err := admittedAt(st, sender, blk.Time); err != nil {
			return err
		} else if !ok {
			return fmt.Errorf("organisation %s revoked by its registrar, no longer an admitted authority: %w", r.Org, ErrUnauthorized)
		}
	}
	if o.Revoked {
		return fmt.Errorf("organisation %s already revoked in block %d: %w", r.Org, o.RevokedBlock, ErrConflict)
	}
	return nil
}

func (orgRevokeHandler) Apply(st *Tx, tx *chain.Tx, blk BlockContext) error {
	r := tx.Body().(chain.OrganisationRevoke)
	s := tx.Sender()
	_, err := st.Exec(`INSERT INTO organisation_revocations(key, revoker, block, pos, time) VALUES (?, ?, ?, ?, ?)`,
		r.Org[:], s[:], int64(blk.Number), blk.Pos, sq(blk.Time))
	return conflict(err)
}

func (orgRevokeHandler) Revert(st *Tx, number uint64) error {
	return deleteBlockRows(st, number, "organisation_revocations")
}

// Batch is a commissioned batch with its standing.
type Batch struct {
	GTIN         string
	Lot          string
	Expiry       string // YYMMDD as commissioned
	Count        uint32
	Serials      chain.Hash // Merkle root of the serials
	List         chain.CID  // the signed serial list
	Manufacturer chain.PublicKey
	Tx           chain.Hash // the BatchCommission
	Block        uint64     // commissioned in
	Time         uint64     // that block's time

	Recalled      bool // the whole batch, by a Recall (final)
	RecalledBlock uint64
	RecalledTime  uint64
	// Quarantined: a quarantine of the whole batch is in force (no release
	// since). A recall overrides it.
	Quarantined bool
}

const batchCols = `gtin, lot, expiry, count, serials, list, manufacturer, tx, block, pos, time`

func scanBatches(q querier, query string, args ...any) ([]Batch, error) {
	rows, err := q.Query(query, args...)
	if err != nil {
		return nil, err
	}
	var out []Batch
	for rows.Next() {
		var b Batch
		var serials, list, manufacturer, id []byte
		var count, blk, pos, tm int64
		if err := rows.Scan(&b.GTIN, &b.Lot, &b.Expiry, &count, &serials, &list, &manufacturer, &id, &blk, &pos, &tm); err != nil {
			rows.Close()
			return nil, err
		}
		cid, err := chain.CIDFromBytes(list)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("state: stored batch %s/%s: serial list: %w", b.GTIN, b.Lot, err)
		}
		copy(b.Serials[:], serials)
		copy(b.Manufacturer[:], manufacturer)
		copy(b.Tx[:], id)
		b.List, b.Count, b.Block, b.Time = cid, uint32(count), uint64(blk), uint64(tm)
		out = append(out, b)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		if err := loadBatchStanding(q, &out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func loadBatchStanding(q querier, b *Batch) error {
	var blk, tm int64
	switch err := q.QueryRow(`SELECT block, time FROM recalls WHERE gtin = ? AND lot = ? AND whole = 1 AND action = ?
		ORDER BY block, pos LIMIT 1`, b.GTIN, b.Lot, int(chain.ActionRecall)).Scan(&blk, &tm); {
	case err == nil:
		b.Recalled, b.RecalledBlock, b.RecalledTime = true, uint64(blk), uint64(tm)
	case !errors.Is(err, sql.ErrNoRows):
		return err
	}
	var action int
	switch err := q.QueryRow(`SELECT action FROM recalls WHERE gtin = ? AND lot = ? AND whole = 1 AND action != ?
		ORDER BY block DESC, pos DESC LIMIT 1`, b.GTIN, b.Lot, int(chain.ActionRecall)).Scan(&action); {
	case err == nil:
		b.Quarantined = chain.RecallAction(action) == chain.ActionQuarantine
	case !errors.Is(err, sql.ErrNoRows):
		return err
	}
	return nil
}

func batch(q querier, gtin, lot string) (Batch, error) {
	bs, err := scanBatches(q, `SELECT `+batchCols+` FROM batches WHERE gtin = ? AND lot = ?`, gtin, lot)
	if err != nil {
		return Batch{}, err
	}
	if len(bs) == 0 {
		return Batch{}, fmt.Errorf("batch GTIN %s lot %q: %w", gtin, lot, ErrNotFound)
	}
	return bs[0], nil
}

// Batch returns a commissioned batch (ErrNotFound).
func (s *State) Batch(gtin, lot string) (Batch, error) { return batch(s.db, gtin, lot) }

// BatchesOf returns the batches manufacturer commissioned, oldest first.
func (s *State) BatchesOf(manufacturer chain.PublicKey) ([]Batch, error) {
	return scanBatches(s.db, `SELECT `+batchCols+` FROM batches WHERE manufacturer = ? ORDER BY block, pos`, manufacturer[:])
}

// BatchesByGTIN returns the batches of one product, oldest first: what a
// scan of a pack whose lot is not on the ledger compares against.
func (s *State) BatchesByGTIN(gtin string) ([]Batch, error) {
	return scanBatches(s.db, `SELECT `+batchCols+` FROM batches WHERE gtin = ? ORDER BY block, pos`, gtin)
}

type commissionHandler struct{}

func (commissionHandler) Check(st *Tx, tx *chain.Tx, blk BlockContext) error {
	c, err := bodyAs[chain.BatchCommission](tx)
	if err != nil {
		return err
	}
	sender := tx.Sender()
	o, ok, err := activeOrg(st, sender)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("batch commissioned by a key that is not a registered, unrevoked organisation: %w", ErrUnauthorized)
	}
	if o.Role != chain.OrgManufacturer {
		return fmt.Errorf("batch commissioned by %q, a %v, not a manufacturer: %w", o.Name, o.Role, ErrUnauthorized)
	}
	var owner []byte
	switch err := st.QueryRow(`SELECT manufacturer FROM batches WHERE gtin = ? LIMIT 1`, c.GTIN).Scan(&owner); {
	case err == nil:
		if string(owner) != string(sender[:]) {
			return fmt.Errorf("GTIN %s belongs to manufacturer %x: %w", c.GTIN, owner, ErrUnauthorized)
		}
	case !errors.Is(err, sql.ErrNoRows):
		return err
	}
	var one int
	switch err := st.QueryRow(`SELECT 1 FROM batches WHERE gtin = ? AND lot = ?`, c.GTIN, c.Lot).Scan(&one); {
	case err == nil:
		return fmt.Errorf("batch GTIN %s lot %q already commissioned: %w", c.GTIN, c.Lot, ErrConflict)
	case !errors.Is(err, sql.ErrNoRows):
		return err
	}
	return nil
}

func (commissionHandler) Apply(st *Tx, tx *chain.Tx, blk BlockContext) error {
	c := tx.Body().(chain.BatchCommission)
	s, id := tx.Sender(), tx.Hash()
	_, err := st.Exec(`INSERT INTO batches(`+batchCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.GTIN, c.Lot, c.Expiry, int64(c.Count), c.Serials[:], c.List.Bytes(), s[:], id[:], int64(blk.Number), blk.Pos, sq(blk.Time))
	return conflict(err)
}

func (commissionHandler) Revert(st *Tx, number uint64) error {
	return deleteBlockRows(st, number, "batches")
}

// latestWhole returns who holds batch b by whole-batch shipments: the
// recipient of the latest received one, or the manufacturer, and from
// when (for the manufacturer, before any receipt: every shipment of the
// batch comes after its commission).
func latestWhole(q querier, b Batch) (chain.PublicKey, position, error) {
	var recipient []byte
	var p position
	switch err := q.QueryRow(`SELECT s.recipient, r.block, r.pos FROM shipments s JOIN receipts r ON r.shipment = s.id
		WHERE s.gtin = ? AND s.lot = ? AND s.whole = 1 ORDER BY r.block DESC, r.pos DESC LIMIT 1`, b.GTIN, b.Lot).Scan(&recipient, &p.block, &p.pos); {
	case errors.Is(err, sql.ErrNoRows):
		return b.Manufacturer, position{-1, -1}, nil
	case err != nil:
		return chain.PublicKey{}, position{}, err
	}
	var k chain.PublicKey
	copy(k[:], recipient)
	return k, p, nil
}

// wholeHolder returns the holder of batch b as a whole, and split: a
// partial shipment of it was received since, so no one holds it whole.
func wholeHolder(q querier, b Batch) (holder chain.PublicKey, split bool, err error) {
	holder, since, err := latestWhole(q, b)
	if err != nil {
		return chain.PublicKey{}, false, err
	}
	var one int
	switch err := q.QueryRow(`SELECT 1 FROM shipments s JOIN receipts r ON r.shipment = s.id
		WHERE s.gtin = ? AND s.lot = ? AND s.whole = 0 AND (r.block > ? OR (r.block = ? AND r.pos > ?)) LIMIT 1`,
		b.GTIN, b.Lot, since.block, since.block, since.pos).Scan(&one); {
	case err == nil:
		return holder, true, nil
	case !errors.Is(err, sql.ErrNoRows):
		return chain.PublicKey{}, false, err
	}
	return holder, false, nil
}

// packHolder returns the holder of one pack of batch b, given the batch's
// whole-shipment holder and since when (latestWhole).
func packHolder(q querier, b Batch, serial string, whole chain.PublicKey, since position) (chain.PublicKey, error) {
	var recipient []byte
	var p position
	err := q.QueryRow(`SELECT s.recipient, r.block, r.pos FROM shipment_serials ss
		JOIN shipments s ON s.id = ss.shipment JOIN receipts r ON r.shipment = ss.shipment
		WHERE ss.gtin = ? AND ss.lot = ? AND ss.serial = ? ORDER BY r.block DESC, r.pos DESC LIMIT 1`,
		b.GTIN, b.Lot, serial).Scan(&recipient, &p.block, &p.pos)
	if errors.Is(err, sql.ErrNoRows) {
		return whole, nil
	}
	if err != nil {
		return chain.PublicKey{}, err
	}
	if !p.after(since) {
		return whole, nil
	}
	var k chain.PublicKey
	copy(k[:], recipient)
	return k, nil
}

// PackHolder returns who holds custody of a pack: the recipient of the
// latest received shipment covering it, else the manufacturer (ErrNotFound
// if the batch is not commissioned). The chain does not know whether the
// serial is in the batch; a Merkle proof against Batch.Serials says that.
func (s *State) PackHolder(gtin, lot, serial string) (chain.PublicKey, error) {
	b, err := batch(s.db, gtin, lot)
	if err != nil {
		return chain.PublicKey{}, err
	}
	whole, since, err := latestWhole(s.db, b)
	if err != nil {
		return chain.PublicKey{}, err
	}
	return packHolder(s.db, b, serial, whole, since)
}

// pendingFrom returns an unreceived shipment of the batch from sender:
// whole-batch ones only, or any.
func pendingFrom(q querier, gtin, lot string, sender chain.PublicKey, wholeOnly bool) (chain.Hash, bool, error) {
	minWhole := 0
	if wholeOnly {
		minWhole = 1
	}
	var id []byte
	err := q.QueryRow(`SELECT s.id FROM shipments s WHERE s.gtin = ? AND s.lot = ? AND s.whole >= ? AND s.sender = ?
		AND NOT EXISTS (SELECT 1 FROM receipts r WHERE r.shipment = s.id) LIMIT 1`, gtin, lot, minWhole, sender[:]).Scan(&id)
	return hashRow(id, err)
}

// pendingSerialFrom returns an unreceived shipment from sender listing the
// serial.
func pendingSerialFrom(q querier, gtin, lot, serial string, sender chain.PublicKey) (chain.Hash, bool, error) {
	var id []byte
	err := q.QueryRow(`SELECT s.id FROM shipment_serials ss JOIN shipments s ON s.id = ss.shipment
		WHERE ss.gtin = ? AND ss.lot = ? AND ss.serial = ? AND s.sender = ?
		AND NOT EXISTS (SELECT 1 FROM receipts r WHERE r.shipment = s.id) LIMIT 1`, gtin, lot, serial, sender[:]).Scan(&id)
	return hashRow(id, err)
}

func hashRow(b []byte, err error) (chain.Hash, bool, error) {
	if errors.Is(err, sql.ErrNoRows) {
		return chain.Hash{}, false, nil
	}
	if err != nil {
		return chain.Hash{}, false, err
	}
	var h chain.Hash
	copy(h[:], b)
	return h, true, nil
}

// Shipment is a recorded shipment and whether it was received.
type Shipment struct {
	ID            chain.Hash // the Shipment's transaction hash
	GTIN          string
	Lot           string
	From          chain.PublicKey
	To            chain.PublicKey
	Serials       []string // nil: the whole batch
	Block         uint64
	Time          uint64
	Received      bool
	Receipt       chain.Hash // the Receipt's transaction hash
	ReceivedBlock uint64
	ReceivedTime  uint64
}

const shipmentSelect = `SELECT s.id, s.gtin, s.lot, s.sender, s.recipient, s.whole, s.block, s.time, r.tx, r.block, r.time
	FROM shipments s LEFT JOIN receipts r ON r.shipment = s.id`

func scanShipments(q querier, query string, args ...any) ([]Shipment, error) {
	rows, err := q.Query(query, args...)
	if err != nil {
		return nil, err
	}
	var out []Shipment
	var partial []int
	for rows.Next() {
		var sh Shipment
		var id, from, to, receipt []byte
		var whole int
		var blk, tm int64
		var rblk, rtm sql.NullInt64
		if err := rows.Scan(&id, &sh.GTIN, &sh.Lot, &from, &to, &whole, &blk, &tm, &receipt, &rblk, &rtm); err != nil {
			rows.Close()
			return nil, err
		}
		copy(sh.ID[:], id)
		copy(sh.From[:], from)
		copy(sh.To[:], to)
		sh.Block, sh.Time = uint64(blk), uint64(tm)
		if rblk.Valid {
			sh.Received = true
			copy(sh.Receipt[:], receipt)
			sh.ReceivedBlock, sh.ReceivedTime = uint64(rblk.Int64), uint64(rtm.Int64)
		}
		if whole == 0 {
			partial = append(partial, len(out))
		}
		out = append(out, sh)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, i := range partial {
		if out[i].Serials, err = listedSerials(q, `SELECT serial FROM shipment_serials WHERE shipment = ? ORDER BY serial`, out[i].ID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// listedSerials runs query (one argument: a transaction hash) for a list
// of serials.
func listedSerials(q querier, query string, id chain.Hash) ([]string, error) {
	rows, err := q.Query(query, id[:])
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

func shipment(q querier, id chain.Hash) (Shipment, error) {
	ss, err := scanShipments(q, shipmentSelect+` WHERE s.id = ?`, id[:])
	if err != nil {
		return Shipment{}, err
	}
	if len(ss) == 0 {
		return Shipment{}, fmt.Errorf("shipment %s: %w", id, ErrNotFound)
	}
	return ss[0], nil
}

// Shipment returns a recorded shipment (ErrNotFound).
func (s *State) Shipment(id chain.Hash) (Shipment, error) { return shipment(s.db, id) }

// ShipmentsTo returns the shipments sent to org, oldest first; with
// pendingOnly, only those it has not received.
func (s *State) ShipmentsTo(org chain.PublicKey, pendingOnly bool) ([]Shipment, error) {
	q := shipmentSelect + ` WHERE s.recipient = ?`
	if pendingOnly {
		q += ` AND r.shipment IS NULL`
	}
	return scanShipments(s.db, q+` ORDER BY s.block, s.pos`, org[:])
}

type shipmentHandler struct{}

func (shipmentHandler) Check(st *Tx, tx *chain.Tx, blk BlockContext) error {
	sh, err := bodyAs[chain.Shipment](tx)
	if err != nil {
		return err
	}
	sender := tx.Sender()
	if _, ok, err := activeOrg(st, sender); err != nil {
		return err
	} else if !ok {
		return fmt.Errorf("shipment from a key that is not a registered, unrevoked organisation: %w", ErrUnauthorized)
	}
	if sh.To == sender {
		return fmt.Errorf("shipment to the sender itself: %w", chain.ErrInvalid)
	}
	if _, ok, err := activeOrg(st, sh.To); err != nil {
		return err
	} else if !ok {
		return fmt.Errorf("shipment to %s, not a registered, unrevoked organisation: %w", sh.To, ErrUnauthorized)
	}
	b, err := batch(st, sh.GTIN, sh.Lot)
	if err != nil {
		return err
	}
	if len(sh.Serials) == 0 {
		holder, split, err := wholeHolder(st, b)
		if err != nil {
			return err
		}
		if split {
			return fmt.Errorf("whole batch %s/%s shipped after parts of it were: ship it by serials: %w", b.GTIN, b.Lot, ErrUnauthorized)
		}
		if holder != sender {
			return fmt.Errorf("whole batch %s/%s shipped by a key without custody of it (held by %s): %w", b.GTIN, b.Lot, holder, ErrUnauthorized)
		}
		if id, ok, err := pendingFrom(st, b.GTIN, b.Lot, sender, false); err != nil {
			return err
		} else if ok {
			return fmt.Errorf("whole batch %s/%s shipped while shipment %s of it is not yet received: %w", b.GTIN, b.Lot, id, ErrConflict)
		}
		return nil
	}
	whole, since, err := latestWhole(st, b)
	if err != nil {
		return err
	}
	if id, ok, err := pendingFrom(st, b.GTIN, b.Lot, sender, true); err != nil {
		return err
	} else if ok {
		return fmt.Errorf("packs of batch %s/%s shipped while shipment %s of the whole batch is not yet received: %w", b.GTIN, b.Lot, id, ErrConflict)
	}
	for _, serial := range sh.Serials {
		holder, err := packHolder(st, b, serial, whole, since)
		if err != nil {
			return err
		}
		if holder != sender {
			return fmt.Errorf("pack %s/%s/%s shipped by a key without custody of it (held by %s): %w", b.GTIN, b.Lot, serial, holder, ErrUnauthorized)
		}
		if d, ok, err := packDispensed(st, b.GTIN, b.Lot, serial); err != nil {
			return err
		} else if ok {
			return fmt.Errorf("pack %s/%s/%s shipped after it was dispensed in block %d: %w", b.GTIN, b.Lot, serial, d.Block, ErrConflict)
		}
		if id, ok, err := pendingSerialFrom(st, b.GTIN, b.Lot, serial, sender); err != nil {
			return err
		} else if ok {
			return fmt.Errorf("pack %s/%s/%s shipped again while shipment %s of it is not yet received: %w", b.GTIN, b.Lot, serial, id, ErrConflict)
		}
	}
	return nil
}

func (shipmentHandler) Apply(st *Tx, tx *chain.Tx, blk BlockContext) error {
	sh := tx.Body().(chain.Shipment)
	s, id := tx.Sender(), tx.Hash()
	if _, err := st.Exec(`INSERT INTO shipments(id, gtin, lot, sender, recipient, whole, block, pos, time) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		id[:], sh.GTIN, sh.Lot, s[:], sh.To[:], boolInt(len(sh.Serials) == 0), int64(blk.Number), blk.Pos, sq(blk.Time)); err != nil {
		return conflict(err)
	}
	for _, serial := range sh.Serials {
		if _, err := st.Exec(`INSERT INTO shipment_serials(shipment, gtin, lot, serial, block) VALUES (?, ?, ?, ?, ?)`,
			id[:], sh.GTIN, sh.Lot, serial, int64(blk.Number)); err != nil {
			return conflict(err)
		}
	}
	return nil
}

func (shipmentHandler) Revert(st *Tx, number uint64) error {
	return deleteBlockRows(st, number, "shipment_serials", "shipments")
}

type receiptHandler struct{}

func (receiptHandler) Check(st *Tx, tx *chain.Tx, blk BlockContext) error {
	r, err := bodyAs[chain.Receipt](tx)
	if err != nil {
		return err
	}
	sh, err := shipment(st, r.Shipment)
	if err != nil {
		return fmt.Errorf("receipt without a matching shipment: %w", err)
	}
	sender := tx.Sender()
	if sh.To != sender {
		return fmt.Errorf("receipt of shipment %s by someone other than its recipient: %w", r.Shipment, ErrUnauthorized)
	}
	if _, ok, err := activeOrg(st, sender); err != nil {
		return err
	} else if !ok {
		return fmt.Errorf("receipt of shipment %s by a revoked organisation: %w", r.Shipment, ErrUnauthorized)
	}
	if sh.Received {
		return fmt.Errorf("shipment %s already received in block %d: %w", r.Shipment, sh.ReceivedBlock, ErrConflict)
	}
	return nil
}

func (receiptHandler) Apply(st *Tx, tx *chain.Tx, blk BlockContext) error {
	r := tx.Body().(chain.Receipt)
	id := tx.Hash()
	_, err := st.Exec(`INSERT INTO receipts(shipment, tx, block, pos, time) VALUES (?, ?, ?, ?, ?)`,
		r.Shipment[:], id[:], int64(blk.Number), blk.Pos, sq(blk.Time))
	return conflict(err)
}

func (receiptHandler) Revert(st *Tx, number uint64) error {
	return deleteBlockRows(st, number, "receipts")
}

func packDispensed(q querier, gtin, lot, serial string) (DispenseRecord, bool, error) {
	var pharmacy, id []byte
	var blk, tm int64
	err := q.QueryRow(`SELECT pharmacy, tx, block, time FROM pack_dispenses WHERE gtin = ? AND lot = ? AND serial = ?`, gtin, lot, serial).
		Scan(&pharmacy, &id, &blk, &tm)
	if errors.Is(err, sql.ErrNoRows) {
		return DispenseRecord{}, false, nil
	}
	if err != nil {
		return DispenseRecord{}, false, err
	}
	d := DispenseRecord{Seq: 1, Block: uint64(blk), Time: uint64(tm)}
	copy(d.Pharmacist[:], pharmacy)
	copy(d.Tx[:], id)
	return d, true, nil
}

// PackDispensed returns the dispense of a pack, if it was dispensed. For a
// pack, Seq is 1 (a pack is dispensed once) and Pharmacist is the
// dispensing pharmacy's key.
func (s *State) PackDispensed(gtin, lot, serial string) (DispenseRecord, bool, error) {
	return packDispensed(s.db, gtin, lot, serial)
}

type packDispenseHandler struct{}

func (packDispenseHandler) Check(st *Tx, tx *chain.Tx, blk BlockContext) error {
	p, err := bodyAs[chain.PackDispense](tx)
	if err != nil {
		return err
	}
	sender := tx.Sender()
	o, ok, err := activeOrg(st, sender)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("pack dispensed by a key that is not a registered, unrevoked organisation: %w", ErrUnauthorized)
	}
	if o.Role != chain.OrgPharmacy {
		return fmt.Errorf("pack dispensed by %q, a %v, not a pharmacy: %w", o.Name, o.Role, ErrUnauthorized)
	}
	b, err := batch(st, p.GTIN, p.Lot)
	if err != nil {
		return err
	}
	pack := p.GTIN + "/" + p.Lot + "/" + p.Serial
	// Already dispensed comes first: a copied code presented at a second
	// pharmacy is told so, whatever its custody.
	if d, ok, err := packDispensed(st, p.GTIN, p.Lot, p.Serial); err != nil {
		return err
	} else if ok {
		return fmt.Errorf("pack %s already dispensed in block %d by %s: %w", pack, d.Block, d.Pharmacist, ErrConflict)
	}
	if r, ok, err := packRecall(st, p.GTIN, p.Lot, p.Serial); err != nil {
		return err
	} else if ok {
		return fmt.Errorf("pack %s recalled in block %d: %w", pack, r.Block, ErrConflict)
	}
	if r, ok, err := packQuarantine(st, b, p.Serial); err != nil {
		return err
	} else if ok {
		return fmt.Errorf("pack %s quarantined in block %d: %w", pack, r.Block, ErrConflict)
	}
	whole, since, err := latestWhole(st, b)
	if err != nil {
		return err
	}
	holder, err := packHolder(st, b, p.Serial, whole, since)
	if err != nil {
		return err
	}
	if holder != sender {
		return fmt.Errorf("pack %s dispensed by a pharmacy without custody of it (held by %s): %w", pack, holder, ErrUnauthorized)
	}
	if id, ok, err := pendingFrom(st, p.GTIN, p.Lot, sender, true); err != nil {
		return err
	} else if ok {
		return fmt.Errorf("pack %s dispensed while shipment %s of its batch is not yet received: %w", pack, id, ErrConflict)
	}
	if id, ok, err := pendingSerialFrom(st, p.GTIN, p.Lot, p.Serial, sender); err != nil {
		return err
	} else if ok {
		return fmt.Errorf("pack %s dispensed while shipment %s of it is not yet received: %w", pack, id, ErrConflict)
	}
	return nil
}

func (packDispenseHandler) Apply(st *Tx, tx *chain.Tx, blk BlockContext) error {
	p := tx.Body().(chain.PackDispense)
	s, id := tx.Sender(), tx.Hash()
	_, err := st.Exec(`INSERT INTO pack_dispenses(gtin, lot, serial, pharmacy, tx, block, pos, time) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		p.GTIN, p.Lot, p.Serial, s[:], id[:], int64(blk.Number), blk.Pos, sq(blk.Time))
	return conflict(err)
}

func (packDispenseHandler) Revert(st *Tx, number uint64) error {
	return deleteBlockRows(st, number, "pack_dispenses")
}

// RecallRecord is a recorded Recall.
type RecallRecord struct {
	ID      chain.Hash // the Recall's transaction hash
	GTIN    string
	Lot     string
	Serials []string // nil: the whole batch
	Action  chain.RecallAction
	Signer  chain.PublicKey // the manufacturer or an authority
	Block   uint64
	Time    uint64
}

const recallCols = `id, gtin, lot, whole, action, signer, block, time`

func scanRecalls(q querier, query string, args ...any) ([]RecallRecord, error) {
	rows, err := q.Query(query, args...)
	if err != nil {
		return nil, err
	}
	var out []RecallRecord
	var partial []int
	for rows.Next() {
		var r RecallRecord
		var id, signer []byte
		var whole, action int
		var blk, tm int64
		if err := rows.Scan(&id, &r.GTIN, &r.Lot, &whole, &action, &signer, &blk, &tm); err != nil {
			rows.Close()
			return nil, err
		}
		copy(r.ID[:], id)
		copy(r.Signer[:], signer)
		r.Action, r.Block, r.Time = chain.RecallAction(action), uint64(blk), uint64(tm)
		if whole == 0 {
			partial = append(partial, len(out))
		}
		out = append(out, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, i := range partial {
		if out[i].Serials, err = listedSerials(q, `SELECT serial FROM recall_serials WHERE recall = ? ORDER BY serial`, out[i].ID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// firstRecall returns the first recall found by query (whose columns are
// recallCols), if any.
func firstRecall(q querier, query string, args ...any) (RecallRecord, bool, error) {
	rs, err := scanRecalls(q, query, args...)
	if err != nil || len(rs) == 0 {
		return RecallRecord{}, false, err
	}
	return rs[0], true, nil
}

// packRecall returns the first recall covering a pack: of its batch or
// listing it.
func packRecall(q querier, gtin, lot, serial string) (RecallRecord, bool, error) {
	return firstRecall(q, `SELECT `+recallCols+` FROM recalls WHERE gtin = ? AND lot = ? AND action = ?
		AND (whole = 1 OR id IN (SELECT recall FROM recall_serials WHERE gtin = ? AND lot = ? AND serial = ?))
		ORDER BY block, pos LIMIT 1`, gtin, lot, int(chain.ActionRecall), gtin, lot, serial)
}

// serialQuarantine returns the newest quarantine or release listing the
// serial: the serial-level quarantine is in force when it is a quarantine.
func serialQuarantine(q querier, gtin, lot, serial string) (RecallRecord, bool, error) {
	return firstRecall(q, `SELECT `+recallCols+` FROM recalls WHERE gtin = ? AND lot = ? AND action != ?
		AND id IN (SELECT recall FROM recall_serials WHERE gtin = ? AND lot = ? AND serial = ?)
		ORDER BY block DESC, pos DESC LIMIT 1`, gtin, lot, int(chain.ActionRecall), gtin, lot, serial)
}

// batchQuarantine returns the newest whole-batch quarantine or release.
func batchQuarantine(q querier, gtin, lot string) (RecallRecord, bool, error) {
	return firstRecall(q, `SELECT `+recallCols+` FROM recalls WHERE gtin = ? AND lot = ? AND whole = 1 AND action != ?
		ORDER BY block DESC, pos DESC LIMIT 1`, gtin, lot, int(chain.ActionRecall))
}

// packQuarantine returns the quarantine in force for a pack of batch b, at
// batch or at serial level.
func packQuarantine(q querier, b Batch, serial string) (RecallRecord, bool, error) {
	if r, ok, err := batchQuarantine(q, b.GTIN, b.Lot); err != nil || ok && r.Action == chain.ActionQuarantine {
		return r, err == nil, err
	}
	r, ok, err := serialQuarantine(q, b.GTIN, b.Lot, serial)
	if err != nil || !ok || r.Action != chain.ActionQuarantine {
		return RecallRecord{}, false, err
	}
	return r, true, nil
}

// PackRecalled reports whether a pack is recalled, by a recall of its batch
// or of its serial, and the first such recall.
func (s *State) PackRecalled(gtin, lot, serial string) (bool, RecallRecord, error) {
	r, ok, err := packRecall(s.db, gtin, lot, serial)
	return ok, r, err
}

// PackQuarantined reports whether a pack is held in quarantine, of its
// batch or of its serial, and the quarantine in force (ErrNotFound if the
// batch is not commissioned).
func (s *State) PackQuarantined(gtin, lot, serial string) (bool, RecallRecord, error) {
	b, err := batch(s.db, gtin, lot)
	if err != nil {
		return false, RecallRecord{}, err
	}
	r, ok, err := packQuarantine(s.db, b, serial)
	return ok, r, err
}

// Recalls returns the recalls, quarantines and releases recorded in blocks
// after since (0: all), in chain order: a wallet passes the last block it
// has seen to learn what to alert on.
func (s *State) Recalls(since uint64) ([]RecallRecord, error) {
	return scanRecalls(s.db, `SELECT `+recallCols+` FROM recalls WHERE block > ? ORDER BY block, pos`, sq(since))
}

type recallHandler struct{}

func (recallHandler) Check(st *Tx, tx *chain.Tx, blk BlockContext) error {
	r, err := bodyAs[chain.Recall](tx)
	if err != nil {
		return err
	}
	b, err := batch(st, r.GTIN, r.Lot)
	if err != nil {
		return err
	}
	sender := tx.Sender()
	allowed := false
	if sender == b.Manufacturer {
		_, ok, err := activeOrg(st, sender)
		if err != nil {
			return err
		}
		allowed = ok
	}
	if !allowed {
		_, ok, err := admittedAt(st, sender, blk.Time)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("%v of batch %s/%s by a key that is neither its (unrevoked) manufacturer nor an admitted authority: %w", r.Action, b.GTIN, b.Lot, ErrUnauthorized)
		}
	}
	name := "batch " + b.GTIN + "/" + b.Lot
	if len(r.Serials) == 0 {
		switch {
		case b.Recalled:
			return fmt.Errorf("%v of %s, recalled in block %d (a recall is final): %w", r.Action, name, b.RecalledBlock, ErrConflict)
		case r.Action == chain.ActionQuarantine && b.Quarantined:
			return fmt.Errorf("quarantine of %s, already quarantined: %w", name, ErrConflict)
		case r.Action == chain.ActionRelease && !b.Quarantined:
			return fmt.Errorf("release of %s, which is not quarantined: %w", name, ErrConflict)
		}
		return nil
	}
	for _, serial := range r.Serials {
		pack := b.GTIN + "/" + b.Lot + "/" + serial
		if rc, ok, err := packRecall(st, b.GTIN, b.Lot, serial); err != nil {
			return err
		} else if ok {
			return fmt.Errorf("%v of pack %s, recalled in block %d (a recall is final): %w", r.Action, pack, rc.Block, ErrConflict)
		}
		if r.Action == chain.ActionRecall {
			continue
		}
		q, ok, err := serialQuarantine(st, b.GTIN, b.Lot, serial)
		if err != nil {
			return err
		}
		quarantined := ok && q.Action == chain.ActionQuarantine
		switch {
		case r.Action == chain.ActionQuarantine && quarantined:
			return fmt.Errorf("quarantine of pack %s, already quarantined: %w", pack, ErrConflict)
		case r.Action == chain.ActionRelease && !quarantined:
			return fmt.Errorf("release of pack %s, which is not quarantined by serial: %w", pack, ErrConflict)
		}
	}
	return nil
}

func (recallHandler) Apply(st *Tx, tx *chain.Tx, blk BlockContext) error {
	r := tx.Body().(chain.Recall)
	s, id := tx.Sender(), tx.Hash()
	if _, err := st.Exec(`INSERT INTO recalls(id, gtin, lot, whole, action, signer, block, pos, time) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		id[:], r.GTIN, r.Lot, boolInt(len(r.Serials) == 0), int(r.Action), s[:], int64(blk.Number), blk.Pos, sq(blk.Time)); err != nil {
		return conflict(err)
	}
	for _, serial := range r.Serials {
		if _, err := st.Exec(`INSERT INTO recall_serials(recall, gtin, lot, serial, block) VALUES (?, ?, ?, ?, ?)`,
			id[:], r.GTIN, r.Lot, serial, int64(blk.Number)); err != nil {
			return conflict(err)
		}
	}
	return nil
}

func (recallHandler) Revert(st *Tx, number uint64) error {
	return deleteBlockRows(st, number, "recall_serials", "recalls")
}
