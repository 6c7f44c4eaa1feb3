// Package sqlitedb opens the project's SQLite databases the one way they are
// opened: WAL, synchronous=FULL, foreign keys on, a busy timeout and
// immediate write transactions — each setting checked after opening, since
// the driver silently ignores parameters it does not know — and schema
// migrations numbered by PRAGMA user_version.
//
// It owns durability settings and migrations, not any schema.
package sqlitedb

import (
	"database/sql"
	"errors"
	"fmt"
	"net/url"

	_ "github.com/mattn/go-sqlite3" // registers the "sqlite3" driver
)

// ErrTooNew is returned for a database whose schema is newer than the
// migrations this binary knows.
var ErrTooNew = errors.New("database was written by a newer version of Health Wallet")

// Open opens (creating if needed) the database at path and brings its schema
// up to date: migrations[i] takes the schema from version i to i+1, each in
// its own transaction. Never edit a released migration; append one.
func Open(path string, migrations []string) (*sql.DB, error) {
	q := url.Values{}
	q.Set("_journal_mode", "WAL")
	q.Set("_synchronous", "FULL")
	q.Set("_foreign_keys", "on")
	q.Set("_busy_timeout", "10000")
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite3", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if err := checkSettings(db); err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if err := migrate(db, migrations); err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return db, nil
}

func checkSettings(db *sql.DB) error {
	var mode string
	var sync, fk int
	if err := db.QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil {
		return err
	}
	if err := db.QueryRow(`PRAGMA synchronous`).Scan(&sync); err != nil {
		return err
	}
	if err := db.QueryRow(`PRAGMA foreign_keys`).Scan(&fk); err != nil {
		return err
	}
	if mode != "wal" || sync != 2 || fk != 1 {
		return fmt.Errorf("sqlite settings not applied: journal_mode=%s synchronous=%d foreign_keys=%d", mode, sync, fk)
	}
	return nil
}

func migrate(db *sql.DB, migrations []string) error {
	var version int
	if err := db.QueryRow(`PRAGMA user_version`).Scan(&version); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if version > len(migrations) {
		return fmt.Errorf("%w (schema %d, this version knows %d)", ErrTooNew, version, len(migrations))
	}
	for v := version; v < len(migrations); v++ {
		tx, err := db.Begin()
		if err != nil {
			return err
		}
		if _, err := tx.Exec(migrations[v]); err != nil {
			tx.Rollback()
			return fmt.Errorf("migrate schema to %d: %w", v+1, err)
		}
		if _, err := tx.Exec(fmt.Sprintf(`PRAGMA user_version = %d`, v+1)); err != nil {
			tx.Rollback()
			return fmt.Errorf("migrate schema to %d: %w", v+1, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("migrate schema to %d: %w", v+1, err)
		}
	}
	return nil
}

// SchemaVersion reports the applied schema version.
func SchemaVersion(db *sql.DB) (int, error) {
	var v int
	err := db.QueryRow(`PRAGMA user_version`).Scan(&v)
	return v, err
}

// IntegrityCheck runs SQLite's integrity_check.
func IntegrityCheck(db *sql.DB) error {
	var res string
	if err := db.QueryRow(`PRAGMA integrity_check`).Scan(&res); err != nil {
		return err
	}
	if res != "ok" {
		return fmt.Errorf("integrity check: %s", res)
	}
	return nil
}
