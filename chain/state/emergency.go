package state

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/healthwallet/healthwallet/chain"
)

// This file holds the rules and queries of the key-release transactions:
// GrantCapsule (keys added to a read grant), ClinicKey (a clinic's sealing
// key) and emergency access (authorization, access, release).

type grantCapsuleHandler struct{}

func (grantCapsuleHandler) Check(st *Tx, tx *chain.Tx, blk BlockContext) error {
	c, err := bodyAs[chain.GrantCapsule](tx)
	if err != nil {
		return err
	}
	var patient []byte
	var actions int
	var notBefore, expiry int64
	var revoked sql.NullInt64
	err = st.QueryRow(`SELECT patient, actions, not_before, expiry, revoked_block FROM grants WHERE id = ?`, c.Grant[:]).
		Scan(&patient, &actions, &notBefore, &expiry, &revoked)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("grant %s: %w", c.Grant, ErrNotFound)
	}
	if err != nil {
		return err
	}
	s := tx.Sender()
	switch {
	case string(patient) != string(s[:]):
		return fmt.Errorf("capsule for grant %s from someone other than its granter: %w", c.Grant, ErrUnauthorized)
	case chain.Actions(actions)&chain.ActionRead == 0:
		return fmt.Errorf("capsule for grant %s, which does not allow reading: %w", c.Grant, chain.ErrInvalid)
	case revoked.Valid:
		return fmt.Errorf("capsule for grant %s, revoked in block %d: %w", c.Grant, revoked.Int64, ErrConflict)
	case sq(blk.Time) >= expiry || sq(blk.Time) < notBefore:
		return fmt.Errorf("capsule for grant %s outside its time (%d to %d) at block time %d: %w", c.Grant, notBefore, expiry, blk.Time, chain.ErrInvalid)
	}
	return nil
}

func (grantCapsuleHandler) Apply(st *Tx, tx *chain.Tx, blk BlockContext) error {
	c := tx.Body().(chain.GrantCapsule)
	_, err := st.Exec(`INSERT INTO grant_capsules(grant, capsule, block, pos) VALUES (?, ?, ?, ?)`,
		c.Grant[:], c.Capsule.Bytes(), int64(blk.Number), blk.Pos)
	return conflict(err)
}

// GrantCapsules returns the binary CIDs of the capsules added to grant
// after it was made, in chain order (the grant's own capsule is not among
// them).
func (s *State) GrantCapsules(ctx context.Context, grant chain.Hash) ([][]byte, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT capsule FROM grant_capsules WHERE grant = ? ORDER BY block, pos`, grant[:])
	if err != nil {
		return nil, fmt.Errorf("state: capsules of grant %s: %w", grant, err)
	}
	defer rows.Close()
	var out [][]byte
	for rows.Next() {
		var c []byte
		if err := rows.Scan(&c); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

type clinicKeyHandler struct{}

func (clinicKeyHandler) Check(st *Tx, tx *chain.Tx, blk BlockContext) error {
	k, err := bodyAs[chain.ClinicKey](tx)
	if err != nil {
		return err
	}
	if !blk.IsSigner(tx.Sender()) {
		return fmt.Errorf("clinic key from a key that is not a block signer: %w", ErrUnauthorized)
	}
	if k.SigningKey() != tx.Sender() {
		return fmt.Errorf("clinic key: the identity is another key's: %w", ErrUnauthorized)
	}
	var n int
	s := tx.Sender()
	if err := st.QueryRow(`SELECT count(*) FROM clinic_keys WHERE key = ?`, s[:]).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return fmt.Errorf("clinic %s already published its key: %w", s, ErrConflict)
	}
	return nil
}

func (clinicKeyHandler) Apply(st *Tx, tx *chain.Tx, blk BlockContext) error {
	k := tx.Body().(chain.ClinicKey)
	s := tx.Sender()
	_, err := st.Exec(`INSERT INTO clinic_keys(key, identity, block) VALUES (?, ?, ?)`, s[:], k.Identity, int64(blk.Number))
	return conflict(err)
}

// ClinicIdentity returns the identity record clinic published (ErrNotFound
// if it has not).
func (s *State) ClinicIdentity(clinic chain.PublicKey) ([]byte, error) {
	var id []byte
	err := s.db.QueryRow(`SELECT identity FROM clinic_keys WHERE key = ?`, clinic[:]).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("clinic key of %s: %w", clinic, ErrNotFound)
	}
	return id, err
}

// EmergencyAuth is an emergency authorization as the state holds it.
type EmergencyAuth struct {
	ID           chain.Hash
	Patient      chain.PublicKey
	Summary      chain.CID
	Shares       chain.CID
	Threshold    int
	Holders      []chain.PublicKey
	Block        uint64
	Revoked      bool
	RevokedBlock uint64
}

// Holds reports whether k holds a share of the authorization.
func (a EmergencyAuth) Holds(k chain.PublicKey) bool {
	for _, h := range a.Holders {
		if h == k {
			return true
		}
	}
	return false
}

type emergencyAuthHandler struct{}

func (emergencyAuthHandler) Check(st *Tx, tx *chain.Tx, blk BlockContext) error {
	a, err := bodyAs[chain.EmergencyAuthorization](tx)
	if err != nil {
		return err
	}
	for _, h := range a.Holders {
		if h == tx.Sender() {
			return fmt.Errorf("emergency authorization: the patient holds a share itself: %w", chain.ErrInvalid)
		}
		if !blk.IsSigner(h) {
			return fmt.Errorf("emergency authorization: holder %s is not a block signer: %w", h, ErrUnauthorized)
		}
		var n int
		if err := st.QueryRow(`SELECT count(*) FROM clinic_keys WHERE key = ?`, h[:]).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("emergency authorization: holder %s has published no clinic key: %w", h, ErrNotFound)
		}
	}
	return nil
}

func (emergencyAuthHandler) Apply(st *Tx, tx *chain.Tx, blk BlockContext) error {
	a := tx.Body().(chain.EmergencyAuthorization)
	id, p := tx.Hash(), tx.Sender()
	holders := make([]byte, 0, len(a.Holders)*chain.PublicKeySize)
	for _, h := range a.Holders {
		holders = append(holders, h[:]...)
	}
	_, err := st.Exec(`INSERT INTO emergency_auths(id, patient, summary, shares, threshold, holders, block, pos) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		id[:], p[:], a.Summary.Bytes(), a.Shares.Bytes(), int(a.Threshold), holders, int64(blk.Number), blk.Pos)
	return conflict(err)
}

const emergencyAuthCols = `id, patient, summary, shares, threshold, holders, block, revoked_block`

func scanEmergencyAuth(row interface{ Scan(...any) error }) (EmergencyAuth, error) {
	var a EmergencyAuth
	var id, p, summary, shares, holders []byte
	var blk int64
	var rev sql.NullInt64
	if err := row.Scan(&id, &p, &summary, &shares, &a.Threshold, &holders, &blk, &rev); err != nil {
		return a, err
	}
	copy(a.ID[:], id)
	copy(a.Patient[:], p)
	var err error
	if a.Summary, err = chain.CIDFromBytes(summary); err != nil {
		return a, err
	}
	if a.Shares, err = chain.CIDFromBytes(shares); err != nil {
		return a, err
	}
	for i := 0; i+chain.PublicKeySize <= len(holders); i += chain.PublicKeySize {
		a.Holders = append(a.Holders, chain.PublicKey(holders[i:i+chain.PublicKeySize]))
	}
	a.Block, a.Revoked, a.RevokedBlock = uint64(blk), rev.Valid, uint64(rev.Int64)
	return a, nil
}

// currentEmergencyAuth returns the patient's authorization in force: the
// latest, if it is not revoked (a revoke withdraws emergency access until the
// patient authorizes again).
func currentEmergencyAuth(row func(string, ...any) *sql.Row, patient chain.PublicKey) (EmergencyAuth, error) {
	a, err := scanEmergencyAuth(row(`SELECT `+emergencyAuthCols+` FROM emergency_auths WHERE patient = ? ORDER BY block DESC, pos DESC LIMIT 1`, patient[:]))
	if errors.Is(err, sql.ErrNoRows) || (err == nil && a.Revoked) {
		return EmergencyAuth{}, fmt.Errorf("emergency authorization of patient %s: %w", patient, ErrNotFound)
	}
	return a, err
}

// EmergencyAuthorization returns the patient's emergency authorization in
// force (ErrNotFound if there is none).
func (s *State) EmergencyAuthorization(patient chain.PublicKey) (EmergencyAuth, error) {
	return currentEmergencyAuth(s.db.QueryRow, patient)
}

// EmergencyAuthorizationByID returns one authorization, in force or not.
func (s *State) EmergencyAuthorizationByID(id chain.Hash) (EmergencyAuth, error) {
	a, err := scanEmergencyAuth(s.db.QueryRow(`SELECT `+emergencyAuthCols+` FROM emergency_auths WHERE id = ?`, id[:]))
	if errors.Is(err, sql.ErrNoRows) {
		return a, fmt.Errorf("emergency authorization %s: %w", id, ErrNotFound)
	}
	return a, err
}

type emergencyAccessHandler struct{}

func (emergencyAccessHandler) Check(st *Tx, tx *chain.Tx, blk BlockContext) error {
	a, err := bodyAs[chain.EmergencyAccess](tx)
	if err != nil {
		return err
	}
	ok, err := activeClinician(st, tx.Sender())
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("emergency access from a key that is not a registered, unrevoked clinician: %w", ErrUnauthorized)
	}
	if required, err := clinicalLicencesRequired(st); err != nil {
		return err
	} else if required {
		if _, ok, err := validCredential(st, tx.Sender(), blk.Time, chain.KindPhysician, chain.KindNurse); err != nil {
			return err
		} else if !ok {
			return fmt.Errorf("emergency access from a clinician with no valid physician or nurse licence: %w", ErrUnauthorized)
		}
	}
	cur, err := currentEmergencyAuth(st.QueryRow, a.Patient)
	if err != nil {
		return err
	}
	if cur.ID != a.Authorization {
		return fmt.Errorf("emergency access under authorization %s, but %s is in force: %w", a.Authorization, cur.ID, ErrConflict)
	}
	return nil
}

func (emergencyAccessHandler) Apply(st *Tx, tx *chain.Tx, blk BlockContext) error {
	a := tx.Body().(chain.EmergencyAccess)
	id, s := tx.Hash(), tx.Sender()
	_, err := st.Exec(`INSERT INTO emergency_accesses(id, clinician, patient, auth, purpose, note, block, pos) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		id[:], s[:], a.Patient[:], a.Authorization[:], int(a.Purpose), a.Note, int64(blk.Number), blk.Pos)
	return conflict(err)
}

// EmergencyAccessRecord is an emergency access as the state holds it, with
// the releases made for it so far.
type EmergencyAccessRecord struct {
	ID            chain.Hash
	Clinician     chain.PublicKey
	Patient       chain.PublicKey
	Authorization chain.Hash
	Purpose       chain.Purpose
	Note          string
	Block         uint64
	Releases      []Release
}

// Release is one clinic's released share for an emergency access.
type Release struct {
	Holder chain.PublicKey
	Share  chain.CID
	Block  uint64
}

func (s *State) emergencyAccesses(ctx context.Context, where string, args ...any) ([]EmergencyAccessRecord, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, clinician, patient, auth, purpose, note, block FROM emergency_accesses WHERE `+where+` ORDER BY block, pos`, args...)
	if err != nil {
		return nil, fmt.Errorf("state: emergency accesses: %w", err)
	}
	var out []EmergencyAccessRecord
	for rows.Next() {
		var r EmergencyAccessRecord
		var id, c, p, auth []byte
		var purpose int
		var blk int64
		if err := rows.Scan(&id, &c, &p, &auth, &purpose, &r.Note, &blk); err != nil {
			rows.Close()
			return nil, err
		}
		copy(r.ID[:], id)
		copy(r.Clinician[:], c)
		copy(r.Patient[:], p)
		copy(r.Authorization[:], auth)
		r.Purpose, r.Block = chain.Purpose(purpose), uint64(blk)
		out = append(out, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		if out[i].Releases, err = s.releases(ctx, out[i].ID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (s *State) releases(ctx context.Context, access chain.Hash) ([]Release, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT holder, share, block FROM emergency_releases WHERE access = ? ORDER BY block, pos`, access[:])
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Release
	for rows.Next() {
		var r Release
		var h, share []byte
		var blk int64
		if err := rows.Scan(&h, &share, &blk); err != nil {
			return nil, err
		}
		copy(r.Holder[:], h)
		if r.Share, err = chain.CIDFromBytes(share); err != nil {
			return nil, err
		}
		r.Block = uint64(blk)
		out = append(out, r)
	}
	return out, rows.Err()
}

// EmergencyAccess returns one access with its releases (ErrNotFound).
func (s *State) EmergencyAccess(ctx context.Context, id chain.Hash) (EmergencyAccessRecord, error) {
	as, err := s.emergencyAccesses(ctx, `id = ?`, id[:])
	if err != nil {
		return EmergencyAccessRecord{}, err
	}
	if len(as) == 0 {
		return EmergencyAccessRecord{}, fmt.Errorf("emergency access %s: %w", id, ErrNotFound)
	}
	return as[0], nil
}

// EmergencyAccesses returns the emergency accesses to patient's summary
// recorded in blocks from..to, in chain order.
func (s *State) EmergencyAccesses(ctx context.Context, patient chain.PublicKey, from, to uint64) ([]EmergencyAccessRecord, error) {
	return s.emergencyAccesses(ctx, `patient = ? AND block BETWEEN ? AND ?`, patient[:], sq(from), sq(to))
}

// UnreleasedAccesses returns the emergency accesses under authorizations
// still in force for which holder holds a share and has not released it:
// a clinic's work list.
func (s *State) UnreleasedAccesses(ctx context.Context, holder chain.PublicKey) ([]EmergencyAccessRecord, error) {
	as, err := s.emergencyAccesses(ctx, `NOT EXISTS (SELECT 1 FROM emergency_releases r WHERE r.access = emergency_accesses.id AND r.holder = ?)`, holder[:])
	if err != nil {
		return nil, err
	}
	out := as[:0]
	for _, a := range as {
		cur, err := s.EmergencyAuthorization(a.Patient)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if cur.ID == a.Authorization && cur.Holds(holder) {
			out = append(out, a)
		}
	}
	return out, nil
}

type emergencyReleaseHandler struct{}

func (emergencyReleaseHandler) Check(st *Tx, tx *chain.Tx, blk BlockContext) error {
	r, err := bodyAs[chain.EmergencyRelease](tx)
	if err != nil {
		return err
	}
	var patient, auth []byte
	err = st.QueryRow(`SELECT patient, auth FROM emergency_accesses WHERE id = ?`, r.Access[:]).Scan(&patient, &auth)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("emergency access %s: %w", r.Access, ErrNotFound)
	}
	if err != nil {
		return err
	}
	cur, err := currentEmergencyAuth(st.QueryRow, chain.PublicKey(patient))
	if err != nil {
		return fmt.Errorf("release for access %s: %w", r.Access, err)
	}
	if string(cur.ID[:]) != string(auth) {
		return fmt.Errorf("release for access %s under an authorization no longer in force: %w", r.Access, ErrConflict)
	}
	if !cur.Holds(tx.Sender()) {
		return fmt.Errorf("release for access %s by a clinic holding no share: %w", r.Access, ErrUnauthorized)
	}
	var n int
	s := tx.Sender()
	if err := st.QueryRow(`SELECT count(*) FROM emergency_releases WHERE access = ? AND holder = ?`, r.Access[:], s[:]).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return fmt.Errorf("clinic %s already released its share for access %s: %w", s, r.Access, ErrConflict)
	}
	return nil
}

func (emergencyReleaseHandler) Apply(st *Tx, tx *chain.Tx, blk BlockContext) error {
	r := tx.Body().(chain.EmergencyRelease)
	s := tx.Sender()
	_, err := st.Exec(`INSERT INTO emergency_releases(access, holder, share, block, pos) VALUES (?, ?, ?, ?, ?)`,
		r.Access[:], s[:], r.Share.Bytes(), int64(blk.Number), blk.Pos)
	return conflict(err)
}
