package sqlitedb

import (
	"errors"
	"path/filepath"
	"testing"
)

func TestOpenMigratesAndChecks(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.db")
	v1 := []string{`CREATE TABLE a (x INTEGER) STRICT`}
	db, err := Open(path, v1)
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := SchemaVersion(db); v != 1 {
		t.Fatalf("version %d, want 1", v)
	}
	db.Close()

	// A later binary adds a migration; the old ones do not run again.
	v2 := append(v1, `CREATE TABLE b (y TEXT) STRICT`)
	db, err = Open(path, v2)
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := SchemaVersion(db); v != 2 {
		t.Fatalf("version %d, want 2", v)
	}
	if err := IntegrityCheck(db); err != nil {
		t.Fatal(err)
	}
	db.Close()

	// An older binary refuses the newer schema.
	if _, err := Open(path, v1); !errors.Is(err, ErrTooNew) {
		t.Fatalf("old binary on a new schema: %v", err)
	}
	// A failing migration leaves the version where it was.
	bad := append(v2, `CREATE TABLE a (x INTEGER)`)
	if _, err := Open(path, bad); err == nil {
		t.Fatal("a failing migration succeeded")
	}
	db, _ = Open(path, v2)
	if v, _ := SchemaVersion(db); v != 2 {
		t.Fatalf("version %d after a failed migration, want 2", v)
	}
	db.Close()
}
