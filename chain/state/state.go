package state

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"sync"

	"github.com/mattn/go-sqlite3" // registers the "sqlite3" driver

	"github.com/healthwallet/healthwallet/chain"
	"github.com/healthwallet/healthwallet/internal/sqlitedb"
)

// ErrTooNew: the database has a schema newer than this code knows.
var ErrTooNew = sqlitedb.ErrTooNew

// migrations[v] takes the schema from version v to v+1.
var migrations = []string{`
CREATE TABLE blocks (
	number INTEGER PRIMARY KEY,
	hash   BLOB NOT NULL UNIQUE,
	time   INTEGER NOT NULL
);
CREATE TABLE accounts (
	key   BLOB PRIMARY KEY,
	nonce INTEGER NOT NULL -- the next nonce expected
) WITHOUT ROWID;
CREATE TABLE undo_accounts (
	block INTEGER NOT NULL REFERENCES blocks(number),
	key   BLOB NOT NULL,
	prev  INTEGER, -- NULL: the account did not exist before the block
	PRIMARY KEY (block, key)
) WITHOUT ROWID;
CREATE TABLE anchors ( -- rowid order = chain order
	id        BLOB NOT NULL, -- tx hash (unique by the nonce rule; not indexed: random keys cost a page per insert)
	patient   BLOB NOT NULL,
	sender    BLOB NOT NULL,
	record_id TEXT NOT NULL,
	cid       BLOB NOT NULL,
	category  INTEGER NOT NULL,
	time      INTEGER NOT NULL,
	block     INTEGER NOT NULL REFERENCES blocks(number),
	pos       INTEGER NOT NULL
);
CREATE INDEX anchors_patient ON anchors(patient, block, pos);
CREATE INDEX anchors_block ON anchors(block);
CREATE TABLE grants (
	id            BLOB PRIMARY KEY, -- tx hash
	patient       BLOB NOT NULL,
	grantee       BLOB NOT NULL,
	scope         BLOB NOT NULL, -- encodeScope
	actions       INTEGER NOT NULL,
	purpose       INTEGER NOT NULL,
	not_before    INTEGER NOT NULL,
	expiry        INTEGER NOT NULL,
	capsule       BLOB,
	block         INTEGER NOT NULL REFERENCES blocks(number),
	pos           INTEGER NOT NULL,
	revoked_block INTEGER REFERENCES blocks(number),
	revoked_pos   INTEGER
) WITHOUT ROWID;
CREATE INDEX grants_patient_grantee ON grants(patient, grantee, expiry);
CREATE INDEX grants_grantee ON grants(grantee, expiry);
CREATE INDEX grants_block ON grants(block);
CREATE INDEX grants_revoked ON grants(revoked_block) WHERE revoked_block IS NOT NULL;
CREATE TABLE requests (
	id            BLOB PRIMARY KEY, -- tx hash
	clinician     BLOB NOT NULL,
	patient       BLOB NOT NULL,
	scope         BLOB NOT NULL,
	purpose       INTEGER NOT NULL,
	duration      INTEGER NOT NULL,
	note          TEXT NOT NULL,
	block         INTEGER NOT NULL REFERENCES blocks(number),
	pos           INTEGER NOT NULL,
	decision      INTEGER,
	decided_block INTEGER REFERENCES blocks(number),
	decided_pos   INTEGER
) WITHOUT ROWID;
CREATE INDEX requests_patient ON requests(patient, block, pos);
CREATE INDEX requests_pending ON requests(patient) WHERE decided_block IS NULL;
CREATE INDEX requests_block ON requests(block);
CREATE INDEX requests_decided ON requests(decided_block) WHERE decided_block IS NOT NULL;
CREATE TABLE clinicians (
	key              BLOB PRIMARY KEY,
	clinic           BLOB NOT NULL,
	role             INTEGER NOT NULL,
	identity         BLOB,
	registered_block INTEGER NOT NULL REFERENCES blocks(number),
	revoked_block    INTEGER REFERENCES blocks(number)
) WITHOUT ROWID;
CREATE INDEX clinicians_registered ON clinicians(registered_block);
CREATE INDEX clinicians_revoked ON clinicians(revoked_block) WHERE revoked_block IS NOT NULL;
CREATE TABLE meta (
	k TEXT PRIMARY KEY,
	v INTEGER NOT NULL -- 'undo_floor': the lowest block RevertBlock can still revert
) WITHOUT ROWID;
CREATE TABLE snapshots (
	hash   BLOB PRIMARY KEY, -- block hash
	number INTEGER NOT NULL,
	data   BLOB NOT NULL     -- clique.Snapshot as JSON
) WITHOUT ROWID;
CREATE INDEX snapshots_number ON snapshots(number);
`, `
-- Clique snapshots moved to the ledger's block store (chain/ledger), which
-- writes them in the same transaction as their block.
DROP TABLE snapshots;
`, `
-- Keys added to read grants after they were made (GrantCapsule).
CREATE TABLE grant_capsules (
	grant   BLOB NOT NULL,
	capsule BLOB NOT NULL,
	block   INTEGER NOT NULL REFERENCES blocks(number),
	pos     INTEGER NOT NULL,
	PRIMARY KEY (grant, block, pos)
) WITHOUT ROWID;
CREATE INDEX grant_capsules_block ON grant_capsules(block);
-- Clinics' published identities (ClinicKey).
CREATE TABLE clinic_keys (
	key      BLOB PRIMARY KEY,
	identity BLOB NOT NULL,
	block    INTEGER NOT NULL REFERENCES blocks(number)
) WITHOUT ROWID;
CREATE INDEX clinic_keys_block ON clinic_keys(block);
-- Emergency access (chain/tx_emergency.go).
CREATE TABLE emergency_auths (
	id            BLOB PRIMARY KEY, -- tx hash
	patient       BLOB NOT NULL,
	summary       BLOB NOT NULL,
	shares        BLOB NOT NULL,
	threshold     INTEGER NOT NULL,
	holders       BLOB NOT NULL, -- 32-byte keys, concatenated in order
	block         INTEGER NOT NULL REFERENCES blocks(number),
	pos           INTEGER NOT NULL,
	revoked_block INTEGER REFERENCES blocks(number),
	revoked_pos   INTEGER
) WITHOUT ROWID;
CREATE INDEX emergency_auths_patient ON emergency_auths(patient, block, pos);
CREATE INDEX emergency_auths_block ON emergency_auths(block);
CREATE INDEX emergency_auths_revoked ON emergency_auths(revoked_block) WHERE revoked_block IS NOT NULL;
CREATE TABLE emergency_accesses (
	id            BLOB PRIMARY KEY, -- tx hash
	clinician     BLOB NOT NULL,
	patient       BLOB NOT NULL,
	auth          BLOB NOT NULL, -- the EmergencyAuthorization
	purpose       INTEGER NOT NULL,
	note          TEXT NOT NULL,
	block         INTEGER NOT NULL REFERENCES blocks(number),
	pos           INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX emergency_accesses_patient ON emergency_accesses(patient, block, pos);
CREATE INDEX emergency_accesses_block ON emergency_accesses(block);
CREATE TABLE emergency_releases (
	access BLOB NOT NULL,
	holder BLOB NOT NULL,
	share  BLOB NOT NULL,
	block  INTEGER NOT NULL REFERENCES blocks(number),
	pos    INTEGER NOT NULL,
	PRIMARY KEY (access, holder)
) WITHOUT ROWID;
CREATE INDEX emergency_releases_block ON emergency_releases(block);
`, `
-- Licensing authorities, clinicians' credentials and e-prescriptions
-- (credentials.go, prescriptions.go). Every row carries its block, and no
-- row is ever updated: standings are the newest event, so a revert is a
-- DELETE per table.
CREATE TABLE authority_votes (
	authority BLOB NOT NULL,
	voter     BLOB NOT NULL,
	admit     INTEGER NOT NULL,
	name      TEXT NOT NULL,
	kinds     INTEGER NOT NULL,
	block     INTEGER NOT NULL REFERENCES blocks(number),
	pos       INTEGER NOT NULL,
	PRIMARY KEY (authority, block, pos)
) WITHOUT ROWID;
CREATE INDEX authority_votes_block ON authority_votes(block);
CREATE TABLE authority_events (
	authority BLOB NOT NULL,
	admitted  INTEGER NOT NULL, -- 1 admitted (or changed), 0 removed
	name      TEXT NOT NULL,
	kinds     INTEGER NOT NULL,
	block     INTEGER NOT NULL REFERENCES blocks(number),
	pos       INTEGER NOT NULL,
	time      INTEGER NOT NULL,
	PRIMARY KEY (authority, block, pos)
) WITHOUT ROWID;
CREATE INDEX authority_events_block ON authority_events(block);
CREATE TABLE credentials (
	hash        BLOB PRIMARY KEY,
	issuer      BLOB NOT NULL,
	subject     BLOB NOT NULL,
	kind        INTEGER NOT NULL,
	valid_from  INTEGER NOT NULL,
	valid_until INTEGER NOT NULL,
	block       INTEGER NOT NULL REFERENCES blocks(number),
	pos         INTEGER NOT NULL,
	time        INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX credentials_subject ON credentials(subject, kind);
CREATE INDEX credentials_issuer ON credentials(issuer, block, pos);
CREATE INDEX credentials_block ON credentials(block);
CREATE TABLE credential_status (
	hash   BLOB NOT NULL,
	status INTEGER NOT NULL,
	block  INTEGER NOT NULL REFERENCES blocks(number),
	pos    INTEGER NOT NULL,
	time   INTEGER NOT NULL,
	PRIMARY KEY (hash, block, pos)
) WITHOUT ROWID;
CREATE INDEX credential_status_block ON credential_status(block);
CREATE TABLE prescriptions (
	commitment BLOB PRIMARY KEY,
	prescriber BLOB NOT NULL,
	dispenses  INTEGER NOT NULL,
	expiry     INTEGER NOT NULL,
	tx         BLOB NOT NULL,
	block      INTEGER NOT NULL REFERENCES blocks(number),
	pos        INTEGER NOT NULL,
	time       INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX prescriptions_prescriber ON prescriptions(prescriber, block, pos);
CREATE INDEX prescriptions_block ON prescriptions(block);
CREATE TABLE dispenses (
	commitment BLOB NOT NULL,
	seq        INTEGER NOT NULL,
	pharmacist BLOB NOT NULL,
	tx         BLOB NOT NULL,
	block      INTEGER NOT NULL REFERENCES blocks(number),
	pos        INTEGER NOT NULL,
	time       INTEGER NOT NULL,
	PRIMARY KEY (commitment, seq)
) WITHOUT ROWID;
CREATE INDEX dispenses_pharmacist ON dispenses(pharmacist, block, pos);
CREATE INDEX dispenses_block ON dispenses(block);
`, `
-- The medicine supply chain (supply.go): organisations, batches, shipments
-- and their receipts, pack dispenses, recalls. As for credentials, no row
-- is ever updated (a revocation or a receipt is a row of its own), so a
-- revert is a DELETE per table.
CREATE TABLE organisations (
	key       BLOB PRIMARY KEY,
	role      INTEGER NOT NULL,
	name      TEXT NOT NULL,
	gln       TEXT NOT NULL, -- '' when none
	registrar BLOB NOT NULL,
	block     INTEGER NOT NULL REFERENCES blocks(number),
	pos       INTEGER NOT NULL,
	time      INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX organisations_gln ON organisations(gln) WHERE gln != '';
CREATE INDEX organisations_block ON organisations(block);
CREATE TABLE organisation_revocations (
	key     BLOB PRIMARY KEY,
	revoker BLOB NOT NULL,
	block   INTEGER NOT NULL REFERENCES blocks(number),
	pos     INTEGER NOT NULL,
	time    INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX organisation_revocations_block ON organisation_revocations(block);
CREATE TABLE batches (
	gtin         TEXT NOT NULL,
	lot          TEXT NOT NULL,
	expiry       TEXT NOT NULL,
	count        INTEGER NOT NULL,
	serials      BLOB NOT NULL, -- Merkle root
	list         BLOB NOT NULL, -- CID
	manufacturer BLOB NOT NULL,
	tx           BLOB NOT NULL,
	block        INTEGER NOT NULL REFERENCES blocks(number),
	pos          INTEGER NOT NULL,
	time         INTEGER NOT NULL,
	PRIMARY KEY (gtin, lot)
) WITHOUT ROWID;
CREATE INDEX batches_manufacturer ON batches(manufacturer, block, pos);
CREATE INDEX batches_block ON batches(block);
CREATE TABLE shipments (
	id        BLOB PRIMARY KEY, -- tx hash
	gtin      TEXT NOT NULL,
	lot       TEXT NOT NULL,
	sender    BLOB NOT NULL,
	recipient BLOB NOT NULL,
	whole     INTEGER NOT NULL, -- 1: the whole batch; 0: the serials in shipment_serials
	block     INTEGER NOT NULL REFERENCES blocks(number),
	pos       INTEGER NOT NULL,
	time      INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX shipments_batch ON shipments(gtin, lot, whole, sender);
CREATE INDEX shipments_recipient ON shipments(recipient, block, pos);
CREATE INDEX shipments_block ON shipments(block);
CREATE TABLE shipment_serials (
	shipment BLOB NOT NULL,
	gtin     TEXT NOT NULL,
	lot      TEXT NOT NULL,
	serial   TEXT NOT NULL,
	block    INTEGER NOT NULL REFERENCES blocks(number),
	PRIMARY KEY (shipment, serial)
) WITHOUT ROWID;
CREATE INDEX shipment_serials_pack ON shipment_serials(gtin, lot, serial);
CREATE INDEX shipment_serials_block ON shipment_serials(block);
CREATE TABLE receipts (
	shipment BLOB PRIMARY KEY,
	tx       BLOB NOT NULL,
	block    INTEGER NOT NULL REFERENCES blocks(number),
	pos      INTEGER NOT NULL,
	time     INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX receipts_block ON receipts(block);
CREATE TABLE pack_dispenses (
	gtin     TEXT NOT NULL,
	lot      TEXT NOT NULL,
	serial   TEXT NOT NULL,
	pharmacy BLOB NOT NULL,
	tx       BLOB NOT NULL,
	block    INTEGER NOT NULL REFERENCES blocks(number),
	pos      INTEGER NOT NULL,
	time     INTEGER NOT NULL,
	PRIMARY KEY (gtin, lot, serial)
) WITHOUT ROWID;
CREATE INDEX pack_dispenses_pharmacy ON pack_dispenses(pharmacy, block, pos);
CREATE INDEX pack_dispenses_block ON pack_dispenses(block);
CREATE TABLE recalls (
	id     BLOB PRIMARY KEY, -- tx hash
	gtin   TEXT NOT NULL,
	lot    TEXT NOT NULL,
	whole  INTEGER NOT NULL, -- 1: the whole batch; 0: the serials in recall_serials
	action INTEGER NOT NULL,
	signer BLOB NOT NULL,
	block  INTEGER NOT NULL REFERENCES blocks(number),
	pos    INTEGER NOT NULL,
	time   INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX recalls_batch ON recalls(gtin, lot, whole, block, pos);
CREATE INDEX recalls_block ON recalls(block, pos);
CREATE TABLE recall_serials (
	recall BLOB NOT NULL,
	gtin   TEXT NOT NULL,
	lot    TEXT NOT NULL,
	serial TEXT NOT NULL,
	block  INTEGER NOT NULL REFERENCES blocks(number),
	PRIMARY KEY (recall, serial)
) WITHOUT ROWID;
CREATE INDEX recall_serials_pack ON recall_serials(gtin, lot, serial);
CREATE INDEX recall_serials_block ON recall_serials(block);
`}

// State is an open state database. Its methods are safe for concurrent use;
// block application is serialised by SQLite's write lock.
type State struct {
	db *sql.DB

	mu    sync.Mutex
	stmts map[string]*sql.Stmt // prepared on db, reused by every block
}

// Open opens or creates the state database at path.
func Open(path string) (*State, error) {
	db, err := sqlitedb.Open(path, migrations)
	if err != nil {
		return nil, fmt.Errorf("state: %w", err)
	}
	return &State{db: db, stmts: map[string]*sql.Stmt{}}, nil
}

// SchemaVersion reports the applied schema version.
func (s *State) SchemaVersion() (int, error) { return sqlitedb.SchemaVersion(s.db) }

// Close closes the database.
func (s *State) Close() error {
	s.mu.Lock()
	for _, st := range s.stmts {
		st.Close()
	}
	s.stmts = map[string]*sql.Stmt{}
	s.mu.Unlock()
	return s.db.Close()
}

// prepared returns the statement for query, prepared once on the database.
func (s *State) prepared(ctx context.Context, query string) (*sql.Stmt, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st, ok := s.stmts[query]; ok {
		return st, nil
	}
	st, err := s.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	s.stmts[query] = st
	return st, nil
}

// IntegrityCheck runs SQLite's integrity check.
func (s *State) IntegrityCheck(ctx context.Context) error {
	if err := sqlitedb.IntegrityCheck(s.db); err != nil {
		return fmt.Errorf("state: %w", err)
	}
	return nil
}

// Head returns the number and hash of the last applied block; ok is false
// when no block has been applied.
func (s *State) Head() (number uint64, hash chain.Hash, ok bool, err error) {
	var h []byte
	err = s.db.QueryRow(`SELECT number, hash FROM blocks ORDER BY number DESC LIMIT 1`).Scan(&number, &h)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, chain.Hash{}, false, nil
	}
	if err != nil {
		return 0, chain.Hash{}, false, err
	}
	copy(hash[:], h)
	return number, hash, true, nil
}

// encodeScope is the scope's canonical wire form (as in chain's bodies).
func encodeScope(sc chain.Scope) []byte {
	e := chain.NewEncoder(nil)
	e.Uvarint(uint64(len(sc.RecordIDs)))
	for _, id := range sc.RecordIDs {
		e.Text(id)
	}
	e.Uvarint(uint64(len(sc.Categories)))
	for _, c := range sc.Categories {
		e.Uint8(uint8(c))
	}
	return e.Out()
}

func decodeScope(b []byte) (chain.Scope, error) {
	var sc chain.Scope
	d := chain.NewDecoder(b)
	n := d.Len("scope: record IDs", chain.MaxScopeEntries)
	for i := 0; i < n && d.Err() == nil; i++ {
		sc.RecordIDs = append(sc.RecordIDs, d.Text("scope: record ID", chain.MaxRecordIDLen))
	}
	m := d.Len("scope: categories", chain.MaxScopeEntries)
	for i := 0; i < m && d.Err() == nil; i++ {
		sc.Categories = append(sc.Categories, chain.Category(d.Uint8("scope: category")))
	}
	if err := d.Finish(); err != nil {
		return chain.Scope{}, fmt.Errorf("state: stored scope: %w", err)
	}
	return sc, nil
}

func isConstraint(err error) bool {
	var se sqlite3.Error
	return errors.As(err, &se) && se.Code == sqlite3.ErrConstraint
}

// sq converts a time, duration or number for SQLite, whose integers are
// signed 64-bit: values above math.MaxInt64 (about 292 billion years in
// seconds) are stored as math.MaxInt64, which compares the same against
// every realistic time. A grant "until the end of time" (expiry
// math.MaxUint64) reads back with expiry math.MaxInt64.
func sq(v uint64) int64 {
	if v > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(v)
}
