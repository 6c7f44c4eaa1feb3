package catalog

import (
	"context"
	"crypto/cipher"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"golang.org/x/crypto/chacha20poly1305"

	"github.com/healthwallet/healthwallet/internal/sqlitedb"
)

var (
	// ErrNotFound is returned for a record ID the catalog does not hold.
	ErrNotFound = errors.New("no such record")
	// ErrCorrupt is returned when a row's sealed fields do not open under the
	// wallet's key: the database was altered or belongs to another wallet.
	ErrCorrupt = errors.New("catalog entry is damaged or belongs to another wallet")
	// ErrTooNew is returned for a database written by a newer version.
	ErrTooNew = sqlitedb.ErrTooNew
)

// Kind tells how a record's plaintext is to be read.
type Kind string

const (
	KindFHIR       Kind = "fhir"       // a FHIR R4 JSON resource
	KindAttachment Kind = "attachment" // a file such as a PDF or an image
)

// Record is one catalog entry.
type Record struct {
	ID           string
	Kind         Kind
	ResourceType string // FHIR resource type; "Binary" for attachments
	Category     string
	ContentType  string
	Size         int64  // plaintext bytes
	CID          string // content ID of the ciphertext

	// Sealed on disk.
	Title  string
	Date   time.Time // clinical date; zero if the record has none
	Source string    // file the record was imported from

	AddedAt time.Time
}

// sealedMeta is the plaintext of a row's sealed_meta column.
type sealedMeta struct {
	Title  string `json:"t"`
	Date   string `json:"d,omitempty"`
	Source string `json:"s,omitempty"`
}

const metaVersion = 1

// Catalog is an open record index.
type Catalog struct {
	db   *sql.DB
	meta cipher.AEAD
}

// Open opens or creates the catalog at path. metaKey (32 bytes) seals the
// identifying columns.
func Open(path string, metaKey []byte) (*Catalog, error) {
	aead, err := chacha20poly1305.NewX(metaKey)
	if err != nil {
		return nil, fmt.Errorf("catalog key: %w", err)
	}
	db, err := sqlitedb.Open(path, migrations)
	if err != nil {
		return nil, fmt.Errorf("catalog: %w", err)
	}
	return &Catalog{db: db, meta: aead}, nil
}

// SchemaVersion reports the applied schema version.
func (c *Catalog) SchemaVersion() (int, error) { return sqlitedb.SchemaVersion(c.db) }

// Close closes the database.
func (c *Catalog) Close() error { return c.db.Close() }

// Tx is a write transaction: a file's records are added all or nothing.
type Tx struct {
	c  *Catalog
	tx *sql.Tx
}

// Begin starts a write transaction.
func (c *Catalog) Begin(ctx context.Context) (*Tx, error) {
	tx, err := c.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("begin catalog transaction: %w", err)
	}
	return &Tx{c: c, tx: tx}, nil
}

// Has reports whether the transaction sees a record with this ID.
func (t *Tx) Has(ctx context.Context, id string) (bool, error) { return has(ctx, t.tx, id) }

// Has reports whether the catalog holds a record with this ID, without
// opening its sealed fields.
func (c *Catalog) Has(ctx context.Context, id string) (bool, error) { return has(ctx, c.db, id) }

type rowQuerier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func has(ctx context.Context, q rowQuerier, id string) (bool, error) {
	var one int
	err := q.QueryRowContext(ctx, `SELECT 1 FROM records WHERE id = ?`, id).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// Insert adds r. It reports false, and changes nothing, if a record with the
// same ID exists.
func (t *Tx) Insert(ctx context.Context, r Record) (bool, error) {
	sealed, err := t.c.seal(r)
	if err != nil {
		return false, err
	}
	res, err := t.tx.ExecContext(ctx, `INSERT INTO records
		(id, kind, resource_type, category, content_type, size, cid, sealed_meta, added_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
		r.ID, string(r.Kind), r.ResourceType, r.Category, r.ContentType, r.Size, r.CID, sealed, r.AddedAt.UnixMilli())
	if err != nil {
		return false, fmt.Errorf("insert record %s: %w", r.ID, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// Commit makes the transaction's records durable.
func (t *Tx) Commit() error {
	if err := t.tx.Commit(); err != nil {
		return fmt.Errorf("commit catalog: %w", err)
	}
	return nil
}

// Rollback discards the transaction; it is a no-op after Commit.
func (t *Tx) Rollback() error {
	err := t.tx.Rollback()
	if errors.Is(err, sql.ErrTxDone) {
		return nil
	}
	return err
}

// SetCID points a record at new ciphertext of the same content (a record
// re-encrypted under a fresh data key).
func (c *Catalog) SetCID(ctx context.Context, id, cid string) error {
	res, err := c.db.ExecContext(ctx, `UPDATE records SET cid = ? WHERE id = ?`, cid, id)
	if err != nil {
		return fmt.Errorf("set CID of record %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("set CID of record %s: %w", id, ErrNotFound)
	}
	return nil
}

// Delete removes a record's row.
func (c *Catalog) Delete(ctx context.Context, id string) error {
	res, err := c.db.ExecContext(ctx, `DELETE FROM records WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("delete record %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("delete record %s: %w", id, ErrNotFound)
	}
	return nil
}

const columns = `id, kind, resource_type, category, content_type, size, cid, sealed_meta, added_at`

// Get returns one record.
func (c *Catalog) Get(ctx context.Context, id string) (Record, error) {
	row := c.db.QueryRowContext(ctx, `SELECT `+columns+` FROM records WHERE id = ?`, id)
	r, err := c.scan(row)
	if errors.Is(err, sql.ErrNoRows) {
		return Record{}, fmt.Errorf("record %s: %w", id, ErrNotFound)
	}
	return r, err
}

// Query selects records for List. Empty fields match everything.
type Query struct {
	ResourceType string
	Category     string
	// Text matches, case-insensitively, the title, type or ID.
	Text string
}

// List returns the records matching q, newest clinical date first, then by
// title. Titles are sealed, so text search runs after opening them.
func (c *Catalog) List(ctx context.Context, q Query) ([]Record, error) {
	var where []string
	var args []any
	if q.ResourceType != "" {
		where = append(where, "resource_type = ?")
		args = append(args, q.ResourceType)
	}
	if q.Category != "" {
		where = append(where, "category = ?")
		args = append(args, q.Category)
	}
	stmt := `SELECT ` + columns + ` FROM records`
	if len(where) > 0 {
		stmt += ` WHERE ` + strings.Join(where, " AND ")
	}
	rows, err := c.db.QueryContext(ctx, stmt, args...)
	if err != nil {
		return nil, fmt.Errorf("list records: %w", err)
	}
	defer rows.Close()
	needle := strings.ToLower(strings.TrimSpace(q.Text))
	var out []Record
	for rows.Next() {
		r, err := c.scan(rows)
		if err != nil {
			return nil, err
		}
		if needle != "" && !strings.Contains(strings.ToLower(r.Title), needle) &&
			!strings.Contains(strings.ToLower(r.ResourceType), needle) && !strings.HasPrefix(r.ID, needle) {
			continue
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list records: %w", err)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].Date.Equal(out[j].Date) {
			return out[i].Date.After(out[j].Date)
		}
		if out[i].Title != out[j].Title {
			return out[i].Title < out[j].Title
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

// Counts returns the number of records per resource type.
func (c *Catalog) Counts(ctx context.Context) (map[string]int, error) {
	rows, err := c.db.QueryContext(ctx, `SELECT resource_type, count(*) FROM records GROUP BY resource_type`)
	if err != nil {
		return nil, fmt.Errorf("count records: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var t string
		var n int
		if err := rows.Scan(&t, &n); err != nil {
			return nil, err
		}
		out[t] = n
	}
	return out, rows.Err()
}

// IntegrityCheck runs SQLite's integrity_check.
func (c *Catalog) IntegrityCheck(ctx context.Context) error { return sqlitedb.IntegrityCheck(c.db) }

type scanner interface{ Scan(...any) error }

func (c *Catalog) scan(s scanner) (Record, error) {
	var r Record
	var kind string
	var sealed []byte
	var added int64
	if err := s.Scan(&r.ID, &kind, &r.ResourceType, &r.Category, &r.ContentType, &r.Size, &r.CID, &sealed, &added); err != nil {
		return Record{}, err
	}
	r.Kind = Kind(kind)
	r.AddedAt = time.UnixMilli(added).UTC()
	m, err := c.open(r.ID, sealed)
	if err != nil {
		return Record{}, err
	}
	r.Title, r.Source = m.Title, m.Source
	if m.Date != "" {
		if r.Date, err = time.Parse(time.RFC3339Nano, m.Date); err != nil {
			return Record{}, fmt.Errorf("record %s: %w: bad date", r.ID, ErrCorrupt)
		}
	}
	return r, nil
}

func metaAD(id string) []byte { return []byte("healthwallet catalog meta v1\x00" + id) }

func (c *Catalog) seal(r Record) ([]byte, error) {
	m := sealedMeta{Title: r.Title, Source: r.Source}
	if !r.Date.IsZero() {
		m.Date = r.Date.UTC().Format(time.RFC3339Nano)
	}
	plain, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 1+c.meta.NonceSize(), 1+c.meta.NonceSize()+len(plain)+c.meta.Overhead())
	out[0] = metaVersion
	if _, err := rand.Read(out[1:]); err != nil {
		return nil, err
	}
	return c.meta.Seal(out, out[1:], plain, metaAD(r.ID)), nil
}

func (c *Catalog) open(id string, sealed []byte) (sealedMeta, error) {
	var m sealedMeta
	ns := c.meta.NonceSize()
	if len(sealed) < 1+ns+c.meta.Overhead() || sealed[0] != metaVersion {
		return m, fmt.Errorf("record %s: %w", id, ErrCorrupt)
	}
	plain, err := c.meta.Open(nil, sealed[1:1+ns], sealed[1+ns:], metaAD(id))
	if err != nil {
		return m, fmt.Errorf("record %s: %w", id, ErrCorrupt)
	}
	if err := json.Unmarshal(plain, &m); err != nil {
		return m, fmt.Errorf("record %s: %w: %v", id, ErrCorrupt, err)
	}
	return m, nil
}
