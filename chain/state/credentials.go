package state

import (
	"database/sql"
	"errors"
	"fmt"

	"github.com/healthwallet/healthwallet/chain"
)

// Licensing authorities and clinicians' credentials.
//
// Authorities are admitted and removed by the clinic signers' votes
// (AuthorityVote): a signer's newest vote on an authority since that
// authority's last admission or removal counts, and a proposal (admit with
// a name and kinds, or remove) carries when more than half of the signers
// in force cast it. Standings and credential statuses are event rows that
// are never updated: the standing at a time is the newest event at or
// before it, so history queries ("was this prescriber's licence active when
// the prescription was written?") and reverts (a DELETE by block) are
// both simple.
//
// "At time t" compares block times: an event in a block whose time is at
// most t counts. Two blocks can share a time; the rules never depend on
// ordering within one second beyond what the block order gives.

func init() {
	Register(chain.TypeAuthorityVote, authorityVoteHandler{})
	Register(chain.TypeCredentialAnchor, credentialAnchorHandler{})
	Register(chain.TypeCredentialStatus, credentialStatusHandler{})
}

// querier is what both a block's transaction (Tx) and the database offer;
// the rules and the queries share their SQL through it.
type querier interface {
	QueryRow(query string, args ...any) *sql.Row
	Query(query string, args ...any) (*sql.Rows, error)
}

// Authority is a licensing authority's standing.
type Authority struct {
	Key      chain.PublicKey
	Name     string
	Kinds    chain.CredentialKinds
	Admitted bool   // false: removed
	Block    uint64 // block of the last admission, change or removal
	Time     uint64 // that block's time
}

// latestAuthority is an authority's newest event (ErrNotFound if none).
func latestAuthority(q querier, k chain.PublicKey, at uint64) (Authority, int, error) {
	a := Authority{Key: k}
	var admitted, kinds, pos int
	var blk, tm int64
	err := q.QueryRow(`SELECT admitted, name, kinds, block, pos, time FROM authority_events
		WHERE authority = ? AND time <= ? ORDER BY block DESC, pos DESC LIMIT 1`, k[:], sq(at)).
		Scan(&admitted, &a.Name, &kinds, &blk, &pos, &tm)
	if errors.Is(err, sql.ErrNoRows) {
		return Authority{}, 0, fmt.Errorf("authority %s: %w", k, ErrNotFound)
	}
	if err != nil {
		return Authority{}, 0, err
	}
	a.Admitted, a.Kinds, a.Block, a.Time = admitted == 1, chain.CredentialKinds(kinds), uint64(blk), uint64(tm)
	return a, pos, nil
}

// admittedAt reports whether k is an admitted authority at time at, and its
// standing then.
func admittedAt(q querier, k chain.PublicKey, at uint64) (Authority, bool, error) {
	a, _, err := latestAuthority(q, k, at)
	if errors.Is(err, ErrNotFound) {
		return Authority{}, false, nil
	}
	if err != nil {
		return Authority{}, false, err
	}
	return a, a.Admitted, nil
}

// Authority returns an authority's current standing (ErrNotFound if it was
// never admitted).
func (s *State) Authority(k chain.PublicKey) (Authority, error) {
	a, _, err := latestAuthority(s.db, k, maxTime)
	return a, err
}

// AuthorityAdmittedAt reports whether k was an admitted authority at time t.
func (s *State) AuthorityAdmittedAt(k chain.PublicKey, t uint64) (bool, error) {
	_, ok, err := admittedAt(s.db, k, t)
	return ok, err
}

// maxTime is later than any block time.
const maxTime = ^uint64(0)

// Authorities returns every authority ever admitted with its current
// standing, in the order they were first admitted.
func (s *State) Authorities() ([]Authority, error) {
	rows, err := s.db.Query(`SELECT authority FROM authority_events GROUP BY authority ORDER BY min(block), min(pos)`)
	if err != nil {
		return nil, err
	}
	var keys []chain.PublicKey
	for rows.Next() {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			rows.Close()
			return nil, err
		}
		var k chain.PublicKey
		copy(k[:], b)
		keys = append(keys, k)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]Authority, 0, len(keys))
	for _, k := range keys {
		a, err := s.Authority(k)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// AuthorityVoteRecord is a signer's vote that still counts: cast since the
// authority's last event, and the voter's newest.
type AuthorityVoteRecord struct {
	Authority chain.PublicKey
	Voter     chain.PublicKey
	Admit     bool
	Name      string
	Kinds     chain.CredentialKinds
	Block     uint64
}

// openVotes returns the counting votes on authority k: each voter's newest
// since k's last event.
func openVotes(q querier, k chain.PublicKey) ([]AuthorityVoteRecord, error) {
	var evBlock, evPos int64 = -1, -1
	err := q.QueryRow(`SELECT block, pos FROM authority_events WHERE authority = ? ORDER BY block DESC, pos DESC LIMIT 1`, k[:]).Scan(&evBlock, &evPos)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	rows, err := q.Query(`SELECT voter, admit, name, kinds, block FROM authority_votes
		WHERE authority = ? AND (block > ? OR (block = ? AND pos > ?)) ORDER BY block, pos`, k[:], evBlock, evBlock, evPos)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []AuthorityVoteRecord
	index := map[chain.PublicKey]int{}
	for rows.Next() {
		v := AuthorityVoteRecord{Authority: k}
		var voter []byte
		var admit, kinds int
		var blk int64
		if err := rows.Scan(&voter, &admit, &v.Name, &kinds, &blk); err != nil {
			return nil, err
		}
		copy(v.Voter[:], voter)
		v.Admit, v.Kinds, v.Block = admit == 1, chain.CredentialKinds(kinds), uint64(blk)
		if i, ok := index[v.Voter]; ok {
			out[i] = v // a newer vote replaces the voter's earlier one
			continue
		}
		index[v.Voter] = len(out)
		out = append(out, v)
	}
	return out, rows.Err()
}

// PendingAuthorityVotes returns the votes that count towards a change not
// yet carried, for every authority.
func (s *State) PendingAuthorityVotes() ([]AuthorityVoteRecord, error) {
	rows, err := s.db.Query(`SELECT DISTINCT authority FROM authority_votes`)
	if err != nil {
		return nil, err
	}
	var keys []chain.PublicKey
	for rows.Next() {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			rows.Close()
			return nil, err
		}
		var k chain.PublicKey
		copy(k[:], b)
		keys = append(keys, k)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var out []AuthorityVoteRecord
	for _, k := range keys {
		vs, err := openVotes(s.db, k)
		if err != nil {
			return nil, err
		}
		out = append(out, vs...)
	}
	return out, nil
}

type authorityVoteHandler struct{}

func (authorityVoteHandler) Check(st *Tx, tx *chain.Tx, blk BlockContext) error {
	v, err := bodyAs[chain.AuthorityVote](tx)
	if err != nil {
		return err
	}
	if !blk.IsSigner(tx.Sender()) {
		return fmt.Errorf("authority vote from a key that is not a block signer: %w", ErrUnauthorized)
	}
	cur, admitted, err := admittedAt(st, v.Key, maxTime)
	if err != nil {
		return err
	}
	switch {
	case !v.Admit && !admitted:
		return fmt.Errorf("vote to remove authority %s, which is not admitted: %w", v.Key, ErrConflict)
	case v.Admit && admitted && cur.Name == v.Name && cur.Kinds == v.Kinds:
		return fmt.Errorf("vote to admit authority %s (%q), already admitted as that: %w", v.Key, v.Name, ErrConflict)
	}
	return nil
}

func (authorityVoteHandler) Apply(st *Tx, tx *chain.Tx, blk BlockContext) error {
	v := tx.Body().(chain.AuthorityVote)
	voter := tx.Sender()
	if _, err := st.Exec(`INSERT INTO authority_votes(authority, voter, admit, name, kinds, block, pos) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		v.Key[:], voter[:], boolInt(v.Admit), v.Name, int(v.Kinds), int64(blk.Number), blk.Pos); err != nil {
		return conflict(err)
	}
	votes, err := openVotes(st, v.Key)
	if err != nil {
		return err
	}
	agree := 0
	for _, o := range votes {
		if blk.IsSigner(o.Voter) && o.Admit == v.Admit && o.Name == v.Name && o.Kinds == v.Kinds {
			agree++
		}
	}
	if 2*agree <= len(blk.Signers) {
		return nil
	}
	_, err = st.Exec(`INSERT INTO authority_events(authority, admitted, name, kinds, block, pos, time) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		v.Key[:], boolInt(v.Admit), v.Name, int(v.Kinds), int64(blk.Number), blk.Pos, sq(blk.Time))
	return conflict(err)
}

func (authorityVoteHandler) Revert(st *Tx, number uint64) error {
	return deleteBlockRows(st, number, "authority_votes", "authority_events")
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// StatusEvent is a change of a credential's status.
type StatusEvent struct {
	Status chain.CredentialStatus
	Block  uint64
	Time   uint64
}

// Credential is an anchored credential with its status history.
type Credential struct {
	Hash       chain.Hash
	Issuer     chain.PublicKey
	Subject    chain.PublicKey
	Kind       chain.CredentialKind
	ValidFrom  uint64
	ValidUntil uint64
	Block      uint64 // anchored in
	Time       uint64 // that block's time
	Status     chain.CredentialStatus
	History    []StatusEvent // changes after anchoring, oldest first
}

// StatusAt returns the credential's status at time t (active from its
// anchoring; zero before it was anchored).
func (c Credential) StatusAt(t uint64) chain.CredentialStatus {
	if t < c.Time {
		return 0
	}
	s := chain.StatusActive
	for _, e := range c.History {
		if e.Time > t {
			break
		}
		s = e.Status
	}
	return s
}

// InForceAt reports whether the credential itself is good at time t:
// anchored by then, within its validity, active. Whether its issuer was
// admitted then is the caller's to ask (AuthorityAdmittedAt).
func (c Credential) InForceAt(t uint64) bool {
	return c.Time <= t && c.ValidFrom <= t && t < c.ValidUntil && c.StatusAt(t) == chain.StatusActive
}

const credentialCols = `hash, issuer, subject, kind, valid_from, valid_until, block, time`

func scanCredentials(q querier, query string, args ...any) ([]Credential, error) {
	rows, err := q.Query(query, args...)
	if err != nil {
		return nil, err
	}
	var out []Credential
	for rows.Next() {
		var c Credential
		var hash, issuer, subject []byte
		var kind int
		var from, until, blk, tm int64
		if err := rows.Scan(&hash, &issuer, &subject, &kind, &from, &until, &blk, &tm); err != nil {
			rows.Close()
			return nil, err
		}
		copy(c.Hash[:], hash)
		copy(c.Issuer[:], issuer)
		copy(c.Subject[:], subject)
		c.Kind, c.ValidFrom, c.ValidUntil, c.Block, c.Time = chain.CredentialKind(kind), uint64(from), uint64(until), uint64(blk), uint64(tm)
		out = append(out, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		if err := loadHistory(q, &out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func loadHistory(q querier, c *Credential) error {
	rows, err := q.Query(`SELECT status, block, time FROM credential_status WHERE hash = ? ORDER BY block, pos`, c.Hash[:])
	if err != nil {
		return err
	}
	defer rows.Close()
	c.Status = chain.StatusActive
	for rows.Next() {
		var e StatusEvent
		var status int
		var blk, tm int64
		if err := rows.Scan(&status, &blk, &tm); err != nil {
			return err
		}
		e.Status, e.Block, e.Time = chain.CredentialStatus(status), uint64(blk), uint64(tm)
		c.History = append(c.History, e)
		c.Status = e.Status
	}
	return rows.Err()
}

func credentialByHash(q querier, h chain.Hash) (Credential, error) {
	cs, err := scanCredentials(q, `SELECT `+credentialCols+` FROM credentials WHERE hash = ?`, h[:])
	if err != nil {
		return Credential{}, err
	}
	if len(cs) == 0 {
		return Credential{}, fmt.Errorf("credential %s: %w", h, ErrNotFound)
	}
	return cs[0], nil
}

// Credential returns an anchored credential (ErrNotFound).
func (s *State) Credential(h chain.Hash) (Credential, error) { return credentialByHash(s.db, h) }

// CredentialsOf returns the credentials anchored for subject, oldest first.
func (s *State) CredentialsOf(subject chain.PublicKey) ([]Credential, error) {
	return scanCredentials(s.db, `SELECT `+credentialCols+` FROM credentials WHERE subject = ? ORDER BY block, pos`, subject[:])
}

// CredentialsBy returns the credentials issuer anchored, oldest first.
func (s *State) CredentialsBy(issuer chain.PublicKey) ([]Credential, error) {
	return scanCredentials(s.db, `SELECT `+credentialCols+` FROM credentials WHERE issuer = ? ORDER BY block, pos`, issuer[:])
}

// ValidCredential returns a credential of one of kinds that subject holds
// and that is valid at time t: in force then and issued by an authority
// admitted then. ok is false when there is none.
func (s *State) ValidCredential(subject chain.PublicKey, t uint64, kinds ...chain.CredentialKind) (Credential, bool, error) {
	return validCredential(s.db, subject, t, kinds...)
}

func validCredential(q querier, subject chain.PublicKey, t uint64, kinds ...chain.CredentialKind) (Credential, bool, error) {
	for _, k := range kinds {
		cs, err := scanCredentials(q, `SELECT `+credentialCols+` FROM credentials
			WHERE subject = ? AND kind = ? AND time <= ? AND valid_from <= ? AND valid_until > ? ORDER BY block, pos`,
			subject[:], int(k), sq(t), sq(t), sq(t))
		if err != nil {
			return Credential{}, false, err
		}
		for _, c := range cs {
			if !c.InForceAt(t) {
				continue
			}
			_, ok, err := admittedAt(q, c.Issuer, t)
			if err != nil {
				return Credential{}, false, err
			}
			if ok {
				return c, true, nil
			}
		}
	}
	return Credential{}, false, nil
}

type credentialAnchorHandler struct{}

func (credentialAnchorHandler) Check(st *Tx, tx *chain.Tx, blk BlockContext) error {
	c, err := bodyAs[chain.CredentialAnchor](tx)
	if err != nil {
		return err
	}
	a, ok, err := admittedAt(st, tx.Sender(), blk.Time)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("credential anchored by a key that is not an admitted authority: %w", ErrUnauthorized)
	}
	if !a.Kinds.Has(c.Kind) {
		return fmt.Errorf("authority %q may not issue %v credentials: %w", a.Name, c.Kind, ErrUnauthorized)
	}
	if c.Subject == tx.Sender() {
		return fmt.Errorf("authority issuing a credential to itself: %w", chain.ErrInvalid)
	}
	if c.ValidUntil <= blk.Time {
		return fmt.Errorf("credential expired (%d) at block time %d: %w", c.ValidUntil, blk.Time, chain.ErrInvalid)
	}
	var one int
	switch err := st.QueryRow(`SELECT 1 FROM credentials WHERE hash = ?`, c.Credential[:]).Scan(&one); {
	case err == nil:
		return fmt.Errorf("credential %s already anchored: %w", c.Credential, ErrConflict)
	case !errors.Is(err, sql.ErrNoRows):
		return err
	}
	return nil
}

func (credentialAnchorHandler) Apply(st *Tx, tx *chain.Tx, blk BlockContext) error {
	c := tx.Body().(chain.CredentialAnchor)
	issuer := tx.Sender()
	_, err := st.Exec(`INSERT INTO credentials(hash, issuer, subject, kind, valid_from, valid_until, block, pos, time) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.Credential[:], issuer[:], c.Subject[:], int(c.Kind), sq(c.ValidFrom), sq(c.ValidUntil), int64(blk.Number), blk.Pos, sq(blk.Time))
	return conflict(err)
}

func (credentialAnchorHandler) Revert(st *Tx, number uint64) error {
	return deleteBlockRows(st, number, "credentials")
}

type credentialStatusHandler struct{}

func (credentialStatusHandler) Check(st *Tx, tx *chain.Tx, blk BlockContext) error {
	c, err := bodyAs[chain.CredentialStatusChange](tx)
	if err != nil {
		return err
	}
	cur, err := credentialByHash(st, c.Credential)
	if err != nil {
		return err
	}
	if cur.Issuer != tx.Sender() {
		return fmt.Errorf("status of credential %s changed by someone other than its issuer: %w", c.Credential, ErrUnauthorized)
	}
	if _, ok, err := admittedAt(st, tx.Sender(), blk.Time); err != nil {
		return err
	} else if !ok {
		return fmt.Errorf("status change by an authority no longer admitted: %w", ErrUnauthorized)
	}
	if cur.Status == chain.StatusRevoked {
		return fmt.Errorf("credential %s is revoked, which is final: %w", c.Credential, ErrConflict)
	}
	if cur.Status == c.Status {
		return fmt.Errorf("credential %s is already %v: %w", c.Credential, c.Status, ErrConflict)
	}
	return nil
}

func (credentialStatusHandler) Apply(st *Tx, tx *chain.Tx, blk BlockContext) error {
	c := tx.Body().(chain.CredentialStatusChange)
	_, err := st.Exec(`INSERT INTO credential_status(hash, status, block, pos, time) VALUES (?, ?, ?, ?, ?)`,
		c.Credential[:], int(c.Status), int64(blk.Number), blk.Pos, sq(blk.Time))
	return conflict(err)
}

func (credentialStatusHandler) Revert(st *Tx, number uint64) error {
	return deleteBlockRows(st, number, "credential_status")
}

// clinicalLicencesRequired reports whether any admitted authority may issue
// physician or nurse credentials: from then on, emergency access needs a
// valid clinical licence. A consortium that admitted no such authority
// (yet) has no licences to check.
func clinicalLicencesRequired(q querier) (bool, error) {
	clinical := int(chain.KindsOf(chain.KindPhysician, chain.KindNurse))
	var one int
	err := q.QueryRow(`SELECT 1 FROM authority_events e WHERE e.admitted = 1 AND (e.kinds & ?) != 0
		AND NOT EXISTS (SELECT 1 FROM authority_events l WHERE l.authority = e.authority AND (l.block > e.block OR (l.block = e.block AND l.pos > e.pos)))
		LIMIT 1`, clinical).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// ClinicalLicencesRequired reports whether emergency access currently needs
// a valid physician or nurse credential.
func (s *State) ClinicalLicencesRequired() (bool, error) { return clinicalLicencesRequired(s.db) }
