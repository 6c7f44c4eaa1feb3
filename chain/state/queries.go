package state

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/healthwallet/healthwallet/chain"
)

// Grant is a consent grant as the state holds it.
type Grant struct {
	ID           chain.Hash // the ConsentGrant transaction's hash
	Patient      chain.PublicKey
	Grantee      chain.PublicKey
	Scope        chain.Scope
	Actions      chain.Actions
	Purpose      chain.Purpose
	NotBefore    uint64
	Expiry       uint64
	Capsule      []byte // binary CID of the sealed key capsule, nil if none
	Block        uint64
	Revoked      bool
	RevokedBlock uint64
}

// Request is an access request as the state holds it.
type Request struct {
	ID           chain.Hash
	Clinician    chain.PublicKey
	Patient      chain.PublicKey
	Scope        chain.Scope
	Purpose      chain.Purpose
	Duration     uint64
	Note         string
	Block        uint64
	Decided      bool
	Decision     chain.Decision
	DecidedBlock uint64
}

// Clinician is a registered clinician.
type Clinician struct {
	Key             chain.PublicKey
	Clinic          chain.PublicKey // the registering signer
	Role            chain.Role
	Identity        []byte
	RegisteredBlock uint64
	Revoked         bool
	RevokedBlock    uint64
}

// EventKind names an audit-log event.
type EventKind string

const (
	EventAnchor   EventKind = "anchor"
	EventGrant    EventKind = "grant"
	EventRevoke   EventKind = "revoke"
	EventRequest  EventKind = "request"
	EventDecision EventKind = "decision"
	// EventGrantCapsule: keys of later records added to a read grant.
	EventGrantCapsule EventKind = "grant-capsule"
	// EventEmergencyAuthorize: the patient pre-authorised an emergency
	// summary; EventEmergencyRevoke: withdrew it.
	EventEmergencyAuthorize EventKind = "emergency-authorize"
	EventEmergencyRevoke    EventKind = "emergency-revoke"
	// EventEmergencyAccess: a clinician opened the summary;
	// EventEmergencyRelease: a clinic released its share for that.
	EventEmergencyAccess  EventKind = "emergency-access"
	EventEmergencyRelease EventKind = "emergency-release"
)

// Event is one entry of a patient's audit log.
type Event struct {
	Block uint64
	Pos   int    // index of the transaction in its block
	Time  uint64 // the block's time, unix seconds
	Kind  EventKind
	// The anchor, grant, request, authorization or access (for revoke and
	// decision: the one acted on; for grant-capsule: the grant; for
	// emergency-release: the access).
	ID    chain.Hash
	Actor chain.PublicKey // who sent the transaction
	// Grantee (grant, revoke, grant-capsule), clinician (request, decision,
	// emergency-release); zero otherwise.
	Other chain.PublicKey
}

// Nonce returns the next nonce the state expects from k (0 for a new key).
func (s *State) Nonce(k chain.PublicKey) (uint64, error) {
	var n int64
	err := s.db.QueryRow(`SELECT nonce FROM accounts WHERE key = ?`, k[:]).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return uint64(n), err
}

// NonceFunc returns Nonce as a chain.NonceFunc for the mempool. A database
// error reads as nonce 0, which makes the mempool refuse the transaction as
// too far ahead or too low rather than accept it.
func (s *State) NonceFunc() chain.NonceFunc {
	return func(k chain.PublicKey) uint64 {
		n, err := s.Nonce(k)
		if err != nil {
			return 0
		}
		return n
	}
}

// CanRead reports whether grantee may read patient's record (ID and
// category) at time at: a read grant from patient to grantee, active at
// at, not revoked, covering the record. It returns that grant's ID.
func (s *State) CanRead(grantee, patient chain.PublicKey, recordID string, category chain.Category, at uint64) (bool, chain.Hash, error) {
	q := func(query string, args ...any) (*sql.Rows, error) { return s.db.Query(query, args...) }
	return grantCovers(q, patient, grantee, chain.ActionRead, recordID, category, at)
}

const grantCols = `id, patient, grantee, scope, actions, purpose, not_before, expiry, capsule, block, revoked_block`

func scanGrants(rows *sql.Rows) ([]Grant, error) {
	defer rows.Close()
	var out []Grant
	for rows.Next() {
		var g Grant
		var id, p, ge, scope []byte
		var actions, purpose int
		var nb, exp, blk int64
		var rev sql.NullInt64
		if err := rows.Scan(&id, &p, &ge, &scope, &actions, &purpose, &nb, &exp, &g.Capsule, &blk, &rev); err != nil {
			return nil, err
		}
		copy(g.ID[:], id)
		copy(g.Patient[:], p)
		copy(g.Grantee[:], ge)
		sc, err := decodeScope(scope)
		if err != nil {
			return nil, err
		}
		g.Scope, g.Actions, g.Purpose = sc, chain.Actions(actions), chain.Purpose(purpose)
		g.NotBefore, g.Expiry, g.Block = uint64(nb), uint64(exp), uint64(blk)
		g.Revoked, g.RevokedBlock = rev.Valid, uint64(rev.Int64)
		out = append(out, g)
	}
	return out, rows.Err()
}

// ActiveGrants returns patient's grants active at time at and not revoked,
// in block order.
func (s *State) ActiveGrants(patient chain.PublicKey, at uint64) ([]Grant, error) {
	rows, err := s.db.Query(`SELECT `+grantCols+` FROM grants
		WHERE patient = ? AND expiry > ? AND not_before <= ? AND revoked_block IS NULL ORDER BY block, pos`,
		patient[:], sq(at), sq(at))
	if err != nil {
		return nil, err
	}
	return scanGrants(rows)
}

// Anchor is a record anchor as the state holds it.
type Anchor struct {
	ID       chain.Hash // the RecordAnchor transaction's hash
	Patient  chain.PublicKey
	Sender   chain.PublicKey // the patient, or a clinician with a write grant
	RecordID string
	CID      chain.CID
	Category chain.Category
	Time     uint64
	Block    uint64
	Pos      int
}

// AnchorsByOthers returns the anchors for patient's records sent by
// someone else (clinicians with write grants), in chain order.
func (s *State) AnchorsByOthers(ctx context.Context, patient chain.PublicKey) ([]Anchor, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, sender, record_id, cid, category, time, block, pos FROM anchors
		WHERE patient = ? AND sender != ? ORDER BY block, pos`, patient[:], patient[:])
	if err != nil {
		return nil, fmt.Errorf("state: anchors for %s: %w", patient, err)
	}
	defer rows.Close()
	var out []Anchor
	for rows.Next() {
		a := Anchor{Patient: patient}
		var id, sender, c []byte
		var cat int
		var tm, blk int64
		if err := rows.Scan(&id, &sender, &a.RecordID, &c, &cat, &tm, &blk, &a.Pos); err != nil {
			return nil, err
		}
		copy(a.ID[:], id)
		copy(a.Sender[:], sender)
		if a.CID, err = chain.CIDFromBytes(c); err != nil {
			return nil, err
		}
		a.Category, a.Time, a.Block = chain.Category(cat), uint64(tm), uint64(blk)
		out = append(out, a)
	}
	return out, rows.Err()
}

// CanWrite reports whether grantee holds a grant from patient, active at
// at, not revoked, allowing writes and covering the record.
func (s *State) CanWrite(grantee, patient chain.PublicKey, recordID string, category chain.Category, at uint64) (bool, error) {
	q := func(query string, args ...any) (*sql.Rows, error) { return s.db.Query(query, args...) }
	ok, _, err := grantCovers(q, patient, grantee, chain.ActionWrite, recordID, category, at)
	return ok, err
}

// BlockTime returns the time of canonical block number (ErrNotFound).
func (s *State) BlockTime(number uint64) (uint64, error) {
	var t int64
	err := s.db.QueryRow(`SELECT time FROM blocks WHERE number = ?`, sq(number)).Scan(&t)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("block %d: %w", number, ErrNotFound)
	}
	return uint64(t), err
}

// GrantsBy returns every grant patient made, active or ended, in block
// order.
func (s *State) GrantsBy(patient chain.PublicKey) ([]Grant, error) {
	rows, err := s.db.Query(`SELECT `+grantCols+` FROM grants WHERE patient = ? ORDER BY block, pos`, patient[:])
	if err != nil {
		return nil, err
	}
	return scanGrants(rows)
}

// Grant returns one grant by ID (ErrNotFound).
func (s *State) Grant(id chain.Hash) (Grant, error) {
	rows, err := s.db.Query(`SELECT `+grantCols+` FROM grants WHERE id = ?`, id[:])
	if err != nil {
		return Grant{}, err
	}
	gs, err := scanGrants(rows)
	if err != nil {
		return Grant{}, err
	}
	if len(gs) == 0 {
		return Grant{}, fmt.Errorf("grant %s: %w", id, ErrNotFound)
	}
	return gs[0], nil
}

// PendingRequests returns the undecided access requests to patient, in block
// order.
func (s *State) PendingRequests(patient chain.PublicKey) ([]Request, error) {
	rows, err := s.db.Query(`SELECT id, clinician, patient, scope, purpose, duration, note, block FROM requests
		WHERE patient = ? AND decided_block IS NULL ORDER BY block, pos`, patient[:])
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Request
	for rows.Next() {
		var r Request
		var id, c, p, scope []byte
		var purpose int
		var dur, blk int64
		if err := rows.Scan(&id, &c, &p, &scope, &purpose, &dur, &r.Note, &blk); err != nil {
			return nil, err
		}
		copy(r.ID[:], id)
		copy(r.Clinician[:], c)
		copy(r.Patient[:], p)
		sc, err := decodeScope(scope)
		if err != nil {
			return nil, err
		}
		r.Scope, r.Purpose, r.Duration, r.Block = sc, chain.Purpose(purpose), uint64(dur), uint64(blk)
		out = append(out, r)
	}
	return out, rows.Err()
}

// Clinician returns the registration of key (ErrNotFound if it never
// registered; a revoked clinician is returned with Revoked set).
func (s *State) Clinician(key chain.PublicKey) (Clinician, error) {
	c := Clinician{Key: key}
	var clinic []byte
	var role int
	var reg int64
	var rev sql.NullInt64
	err := s.db.QueryRow(`SELECT clinic, role, identity, registered_block, revoked_block FROM clinicians WHERE key = ?`, key[:]).
		Scan(&clinic, &role, &c.Identity, &reg, &rev)
	if errors.Is(err, sql.ErrNoRows) {
		return Clinician{}, fmt.Errorf("clinician %s: %w", key, ErrNotFound)
	}
	if err != nil {
		return Clinician{}, err
	}
	copy(c.Clinic[:], clinic)
	c.Role, c.RegisteredBlock = chain.Role(role), uint64(reg)
	c.Revoked, c.RevokedBlock = rev.Valid, uint64(rev.Int64)
	return c, nil
}

// History returns every event that touches patient, in chain order (block,
// then position in block): anchors, grants and their added capsules,
// revokes, requests, decisions, and emergency authorizations, accesses and
// releases. Expiries are not transactions; a caller derives them from the
// grants.
func (s *State) History(ctx context.Context, patient chain.PublicKey) ([]Event, error) {
	rows, err := s.db.QueryContext(ctx, `
		SELECT e.block, e.pos, b.time, e.kind, e.id, e.actor, e.other FROM (
		SELECT block, pos, 'anchor' AS kind, id, sender AS actor, NULL AS other FROM anchors WHERE patient = ?1
		UNION ALL SELECT block, pos, 'grant', id, patient, grantee FROM grants WHERE patient = ?1
		UNION ALL SELECT revoked_block, revoked_pos, 'revoke', id, patient, grantee FROM grants WHERE patient = ?1 AND revoked_block IS NOT NULL
		UNION ALL SELECT c.block, c.pos, 'grant-capsule', g.id, g.patient, g.grantee FROM grant_capsules c JOIN grants g ON g.id = c.grant WHERE g.patient = ?1
		UNION ALL SELECT block, pos, 'request', id, clinician, NULL FROM requests WHERE patient = ?1
		UNION ALL SELECT decided_block, decided_pos, 'decision', id, patient, clinician FROM requests WHERE patient = ?1 AND decided_block IS NOT NULL
		UNION ALL SELECT block, pos, 'emergency-authorize', id, patient, NULL FROM emergency_auths WHERE patient = ?1
		UNION ALL SELECT revoked_block, revoked_pos, 'emergency-revoke', id, patient, NULL FROM emergency_auths WHERE patient = ?1 AND revoked_block IS NOT NULL
		UNION ALL SELECT block, pos, 'emergency-access', id, clinician, NULL FROM emergency_accesses WHERE patient = ?1
		UNION ALL SELECT r.block, r.pos, 'emergency-release', a.id, r.holder, a.clinician FROM emergency_releases r JOIN emergency_accesses a ON a.id = r.access WHERE a.patient = ?1
		) e JOIN blocks b ON b.number = e.block
		ORDER BY 1, 2`, patient[:])
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var e Event
		var blk, tm int64
		var kind string
		var id, actor, other []byte
		if err := rows.Scan(&blk, &e.Pos, &tm, &kind, &id, &actor, &other); err != nil {
			return nil, err
		}
		e.Block, e.Time, e.Kind = uint64(blk), uint64(tm), EventKind(kind)
		copy(e.ID[:], id)
		copy(e.Actor[:], actor)
		copy(e.Other[:], other)
		out = append(out, e)
	}
	return out, rows.Err()
}

// GrantsTo returns the grants held by grantee, active at time at and not
// revoked, in block order (a clinician's view).
func (s *State) GrantsTo(grantee chain.PublicKey, at uint64) ([]Grant, error) {
	rows, err := s.db.Query(`SELECT `+grantCols+` FROM grants
		WHERE grantee = ? AND expiry > ? AND not_before <= ? AND revoked_block IS NULL ORDER BY block, pos`,
		grantee[:], sq(at), sq(at))
	if err != nil {
		return nil, err
	}
	return scanGrants(rows)
}

// Reference is a content ID the chain points at: a record's ciphertext (an
// anchor, or an emergency summary) or sealed keys (a grant's capsules, an
// emergency authorization's shares, a released share).
type Reference struct {
	Block   uint64
	CID     chain.CID
	Capsule bool // sealed keys, not a record
}

// References lists the content IDs the transactions of blocks from..to
// point at (records, key capsules, emergency summaries and shares, batches'
// serial lists),
// in chain order: what a clinic node pins so records stay available while
// their owners are offline.
func (s *State) References(ctx context.Context, from, to uint64) ([]Reference, error) {
	rows, err := s.db.QueryContext(ctx, `
		SELECT block, pos, cid, 0 FROM anchors WHERE block BETWEEN ?1 AND ?2
		UNION ALL
		SELECT block, pos, capsule, 1 FROM grants WHERE block BETWEEN ?1 AND ?2 AND capsule IS NOT NULL
		UNION ALL
		SELECT block, pos, capsule, 1 FROM grant_capsules WHERE block BETWEEN ?1 AND ?2
		UNION ALL
		SELECT block, pos, summary, 0 FROM emergency_auths WHERE block BETWEEN ?1 AND ?2
		UNION ALL
		SELECT block, pos, shares, 1 FROM emergency_auths WHERE block BETWEEN ?1 AND ?2
		UNION ALL
		SELECT block, pos, share, 1 FROM emergency_releases WHERE block BETWEEN ?1 AND ?2
		UNION ALL
		SELECT block, pos, list, 0 FROM batches WHERE block BETWEEN ?1 AND ?2
		ORDER BY 1, 2`, sq(from), sq(to))
	if err != nil {
		return nil, fmt.Errorf("state: references %d-%d: %w", from, to, err)
	}
	defer rows.Close()
	var out []Reference
	for rows.Next() {
		var r Reference
		var pos int
		var raw []byte
		if err := rows.Scan(&r.Block, &pos, &raw, &r.Capsule); err != nil {
			return nil, fmt.Errorf("state: references: %w", err)
		}
		if r.CID, err = chain.CIDFromBytes(raw); err != nil {
			return nil, fmt.Errorf("state: references: block %d: %w", r.Block, err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Anchored reports whether patient has anchored cid (as its own record or
// through a writer it granted), so a reader can check that content it was
// handed is what the patient put on the chain.
func (s *State) Anchored(ctx context.Context, patient chain.PublicKey, cid chain.CID) (bool, error) {
	var one int
	err := s.db.QueryRowContext(ctx, `SELECT 1 FROM anchors WHERE patient = ? AND cid = ? LIMIT 1`, patient[:], cid.Bytes()).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("state: anchored: %w", err)
	}
	return true, nil
}
