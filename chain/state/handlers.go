package state

import (
	"database/sql"
	"errors"
	"fmt"

	"github.com/healthwallet/healthwallet/chain"
)

func init() {
	Register(chain.TypeRecordAnchor, anchorHandler{})
	Register(chain.TypeConsentGrant, grantHandler{})
	Register(chain.TypeConsentRevoke, revokeHandler{})
	Register(chain.TypeAccessRequest, requestHandler{})
	Register(chain.TypeAccessDecision, decisionHandler{})
	Register(chain.TypeClinicianRegister, registerHandler{})
	Register(chain.TypeClinicianRevoke, unregisterHandler{})
	Register(chain.TypeGrantCapsule, grantCapsuleHandler{})
	Register(chain.TypeClinicKey, clinicKeyHandler{})
	Register(chain.TypeEmergencyAuthorization, emergencyAuthHandler{})
	Register(chain.TypeEmergencyAccess, emergencyAccessHandler{})
	Register(chain.TypeEmergencyRelease, emergencyReleaseHandler{})
}

func bodyAs[T chain.Body](tx *chain.Tx) (T, error) {
	b, ok := tx.Body().(T)
	if !ok {
		var zero T
		return zero, fmt.Errorf("body is %T, want %T: %w", tx.Body(), zero, chain.ErrInvalid)
	}
	return b, nil
}

// grantCovers reports whether grantee holds a grant from patient, active at
// time at and unrevoked, with every action in want, whose scope covers the
// record; it returns the first such grant's ID.
func grantCovers(q func(string, ...any) (*sql.Rows, error), patient, grantee chain.PublicKey, want chain.Actions, recordID string, cat chain.Category, at uint64) (bool, chain.Hash, error) {
	rows, err := q(`SELECT id, scope FROM grants
		WHERE patient = ? AND grantee = ? AND expiry > ? AND not_before <= ? AND revoked_block IS NULL AND (actions & ?) = ?
		ORDER BY block, pos`, patient[:], grantee[:], sq(at), sq(at), int(want), int(want))
	if err != nil {
		return false, chain.Hash{}, err
	}
	defer rows.Close()
	for rows.Next() {
		var id, scope []byte
		if err := rows.Scan(&id, &scope); err != nil {
			return false, chain.Hash{}, err
		}
		sc, err := decodeScope(scope)
		if err != nil {
			return false, chain.Hash{}, err
		}
		if sc.Covers(recordID, cat) {
			var h chain.Hash
			copy(h[:], id)
			return true, h, nil
		}
	}
	return false, chain.Hash{}, rows.Err()
}

type anchorHandler struct{}

func (anchorHandler) Check(st *Tx, tx *chain.Tx, blk BlockContext) error {
	a, err := bodyAs[chain.RecordAnchor](tx)
	if err != nil {
		return err
	}
	if tx.Sender() == a.Patient {
		return nil
	}
	ok, _, err := grantCovers(st.Query, a.Patient, tx.Sender(), chain.ActionWrite, a.RecordID, a.Category, blk.Time)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("anchor for patient %s: sender holds no active write grant covering record %q (%v): %w", a.Patient, a.RecordID, a.Category, ErrUnauthorized)
	}
	return nil
}

func (anchorHandler) Apply(st *Tx, tx *chain.Tx, blk BlockContext) error {
	a := tx.Body().(chain.RecordAnchor)
	id, s := tx.Hash(), tx.Sender()
	_, err := st.Exec(`INSERT INTO anchors(id, patient, sender, record_id, cid, category, time, block, pos) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		id[:], a.Patient[:], s[:], a.RecordID, a.CID.Bytes(), int(a.Category), sq(a.Time), int64(blk.Number), blk.Pos)
	return conflict(err)
}

// conflict maps a uniqueness violation (a transaction applied twice) to
// ErrConflict.
func conflict(err error) error {
	if err != nil && isConstraint(err) {
		return fmt.Errorf("%v: %w", err, ErrConflict)
	}
	return err
}

type grantHandler struct{}

func (grantHandler) Check(st *Tx, tx *chain.Tx, blk BlockContext) error {
	g, err := bodyAs[chain.ConsentGrant](tx)
	if err != nil {
		return err
	}
	if g.Grantee == tx.Sender() {
		return fmt.Errorf("grant to oneself: %w", chain.ErrInvalid)
	}
	if g.Expiry <= blk.Time {
		return fmt.Errorf("grant expired (%d) at block time %d: %w", g.Expiry, blk.Time, chain.ErrInvalid)
	}
	return nil
}

func (grantHandler) Apply(st *Tx, tx *chain.Tx, blk BlockContext) error {
	g := tx.Body().(chain.ConsentGrant)
	id, p := tx.Hash(), tx.Sender()
	var capsule []byte
	if !g.Capsule.IsZero() {
		capsule = g.Capsule.Bytes()
	}
	_, err := st.Exec(`INSERT INTO grants(id, patient, grantee, scope, actions, purpose, not_before, expiry, capsule, block, pos)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		id[:], p[:], g.Grantee[:], encodeScope(g.Scope), int(g.Actions), int(g.Purpose), sq(g.NotBefore), sq(g.Expiry), capsule, int64(blk.Number), blk.Pos)
	return conflict(err)
}

type revokeHandler struct{}

// revocable finds what a ConsentRevoke names: a grant or an emergency
// authorization (the table it is in), its patient and whether it is
// already revoked.
func revocable(st *Tx, id chain.Hash) (table string, patient []byte, revoked sql.NullInt64, err error) {
	for _, table = range []string{"grants", "emergency_auths"} {
		err = st.QueryRow(`SELECT patient, revoked_block FROM `+table+` WHERE id = ?`, id[:]).Scan(&patient, &revoked)
		if !errors.Is(err, sql.ErrNoRows) {
			return table, patient, revoked, err
		}
	}
	return "", nil, revoked, fmt.Errorf("grant %s: %w", id, ErrNotFound)
}

func (revokeHandler) Check(st *Tx, tx *chain.Tx, blk BlockContext) error {
	r, err := bodyAs[chain.ConsentRevoke](tx)
	if err != nil {
		return err
	}
	_, patient, revoked, err := revocable(st, r.Grant)
	if err != nil {
		return err
	}
	s := tx.Sender()
	if string(patient) != string(s[:]) {
		return fmt.Errorf("revoke of grant %s by someone other than its granter: %w", r.Grant, ErrUnauthorized)
	}
	if revoked.Valid {
		return fmt.Errorf("grant %s already revoked in block %d: %w", r.Grant, revoked.Int64, ErrConflict)
	}
	return nil
}

func (revokeHandler) Apply(st *Tx, tx *chain.Tx, blk BlockContext) error {
	r := tx.Body().(chain.ConsentRevoke)
	table, _, _, err := revocable(st, r.Grant)
	if err != nil {
		return err
	}
	_, err = st.Exec(`UPDATE `+table+` SET revoked_block = ?, revoked_pos = ? WHERE id = ?`, int64(blk.Number), blk.Pos, r.Grant[:])
	return err
}

// activeClinician reports whether k is registered and unrevoked.
func activeClinician(st *Tx, k chain.PublicKey) (bool, error) {
	var revoked sql.NullInt64
	err := st.QueryRow(`SELECT revoked_block FROM clinicians WHERE key = ?`, k[:]).Scan(&revoked)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return !revoked.Valid, nil
}

type requestHandler struct{}

func (requestHandler) Check(st *Tx, tx *chain.Tx, blk BlockContext) error {
	r, err := bodyAs[chain.AccessRequest](tx)
	if err != nil {
		return err
	}
	if r.Patient == tx.Sender() {
		return fmt.Errorf("access request to oneself: %w", chain.ErrInvalid)
	}
	ok, err := activeClinician(st, tx.Sender())
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("access request from a key that is not a registered, unrevoked clinician: %w", ErrUnauthorized)
	}
	return nil
}

func (requestHandler) Apply(st *Tx, tx *chain.Tx, blk BlockContext) error {
	r := tx.Body().(chain.AccessRequest)
	id, s := tx.Hash(), tx.Sender()
	_, err := st.Exec(`INSERT INTO requests(id, clinician, patient, scope, purpose, duration, note, block, pos) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		id[:], s[:], r.Patient[:], encodeScope(r.Scope), int(r.Purpose), sq(r.Duration), r.Note, int64(blk.Number), blk.Pos)
	return conflict(err)
}

type decisionHandler struct{}

func (decisionHandler) Check(st *Tx, tx *chain.Tx, blk BlockContext) error {
	d, err := bodyAs[chain.AccessDecision](tx)
	if err != nil {
		return err
	}
	var patient []byte
	var decided sql.NullInt64
	err = st.QueryRow(`SELECT patient, decided_block FROM requests WHERE id = ?`, d.Request[:]).Scan(&patient, &decided)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("request %s: %w", d.Request, ErrNotFound)
	}
	if err != nil {
		return err
	}
	s := tx.Sender()
	if string(patient) != string(s[:]) {
		return fmt.Errorf("decision on request %s by someone other than its patient: %w", d.Request, ErrUnauthorized)
	}
	if decided.Valid {
		return fmt.Errorf("request %s already decided in block %d: %w", d.Request, decided.Int64, ErrConflict)
	}
	return nil
}

func (decisionHandler) Apply(st *Tx, tx *chain.Tx, blk BlockContext) error {
	d := tx.Body().(chain.AccessDecision)
	_, err := st.Exec(`UPDATE requests SET decision = ?, decided_block = ?, decided_pos = ? WHERE id = ?`, int(d.Decision), int64(blk.Number), blk.Pos, d.Request[:])
	return err
}

type registerHandler struct{}

func (registerHandler) Check(st *Tx, tx *chain.Tx, blk BlockContext) error {
	r, err := bodyAs[chain.ClinicianRegister](tx)
	if err != nil {
		return err
	}
	if !blk.IsSigner(tx.Sender()) {
		return fmt.Errorf("clinician register by a key that is not a block signer: %w", ErrUnauthorized)
	}
	var n int
	if err := st.QueryRow(`SELECT count(*) FROM clinicians WHERE key = ?`, r.Clinician[:]).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return fmt.Errorf("clinician %s already registered (a revoked key stays revoked): %w", r.Clinician, ErrConflict)
	}
	return nil
}

func (registerHandler) Apply(st *Tx, tx *chain.Tx, blk BlockContext) error {
	r := tx.Body().(chain.ClinicianRegister)
	s := tx.Sender()
	var identity []byte
	if len(r.Identity) > 0 {
		identity = r.Identity
	}
	_, err := st.Exec(`INSERT INTO clinicians(key, clinic, role, identity, registered_block) VALUES (?, ?, ?, ?, ?)`,
		r.Clinician[:], s[:], int(r.Role), identity, int64(blk.Number))
	return conflict(err)
}

type unregisterHandler struct{}

func (unregisterHandler) Check(st *Tx, tx *chain.Tx, blk BlockContext) error {
	r, err := bodyAs[chain.ClinicianRevoke](tx)
	if err != nil {
		return err
	}
	if !blk.IsSigner(tx.Sender()) {
		return fmt.Errorf("clinician revoke by a key that is not a block signer: %w", ErrUnauthorized)
	}
	var clinic []byte
	var revoked sql.NullInt64
	err = st.QueryRow(`SELECT clinic, revoked_block FROM clinicians WHERE key = ?`, r.Clinician[:]).Scan(&clinic, &revoked)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("clinician %s: %w", r.Clinician, ErrNotFound)
	}
	if err != nil {
		return err
	}
	s := tx.Sender()
	if string(clinic) != string(s[:]) {
		return fmt.Errorf("clinician %s revoked by a clinic other than the registering one: %w", r.Clinician, ErrUnauthorized)
	}
	if revoked.Valid {
		return fmt.Errorf("clinician %s already revoked in block %d: %w", r.Clinician, revoked.Int64, ErrConflict)
	}
	return nil
}

func (unregisterHandler) Apply(st *Tx, tx *chain.Tx, blk BlockContext) error {
	r := tx.Body().(chain.ClinicianRevoke)
	_, err := st.Exec(`UPDATE clinicians SET revoked_block = ? WHERE key = ?`, int64(blk.Number), r.Clinician[:])
	return err
}
