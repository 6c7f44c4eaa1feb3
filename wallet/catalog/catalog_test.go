package catalog

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func testKey(b byte) []byte { return bytes.Repeat([]byte{b}, 32) }

func openTest(t *testing.T, path string, key []byte) *Catalog {
	t.Helper()
	c, err := Open(path, key)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func sample(id, title string, date time.Time) Record {
	return Record{ID: id, Kind: KindFHIR, ResourceType: "Observation", Category: "observations",
		ContentType: "application/fhir+json", Size: 123, CID: "bafkreiexample" + id,
		Title: title, Date: date, Source: "labs.json", AddedAt: time.UnixMilli(1_700_000_000_000).UTC()}
}

func TestInsertGetListRoundTrip(t *testing.T) {
	ctx := context.Background()
	c := openTest(t, filepath.Join(t.TempDir(), "catalog.db"), testKey(1))
	d1 := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	d2 := time.Date(2021, 1, 2, 3, 4, 5, 0, time.UTC)
	recs := []Record{sample("a", "Hemoglobin A1c 5.9 %", d1), sample("b", "Body weight 70 kg", d2), sample("c", "No date", time.Time{})}
	tx, err := c.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if ok, err := tx.Insert(ctx, r); err != nil || !ok {
			t.Fatalf("insert %s: %v %v", r.ID, ok, err)
		}
	}
	if ok, err := tx.Insert(ctx, recs[0]); err != nil || ok {
		t.Fatalf("duplicate insert: got inserted=%v err=%v, want false nil", ok, err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	got, err := c.Get(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	if got != recs[0] {
		t.Errorf("Get = %+v, want %+v", got, recs[0])
	}
	tests := []struct {
		q    Query
		want []string
	}{
		{Query{}, []string{"b", "a", "c"}},
		{Query{Text: "a1C"}, []string{"a"}},
		{Query{Text: "observation"}, []string{"b", "a", "c"}},
		{Query{Category: "conditions"}, nil},
		{Query{ResourceType: "Observation", Text: "weight"}, []string{"b"}},
	}
	for _, tt := range tests {
		list, err := c.List(ctx, tt.q)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, r := range list {
			ids = append(ids, r.ID)
		}
		if len(ids) != len(tt.want) {
			t.Errorf("List(%+v) = %v, want %v", tt.q, ids, tt.want)
			continue
		}
		for i := range ids {
			if ids[i] != tt.want[i] {
				t.Errorf("List(%+v) = %v, want %v", tt.q, ids, tt.want)
				break
			}
		}
	}
	counts, err := c.Counts(ctx)
	if err != nil || counts["Observation"] != 3 {
		t.Errorf("Counts = %v, %v", counts, err)
	}
}

func TestRollbackKeepsNothing(t *testing.T) {
	ctx := context.Background()
	c := openTest(t, filepath.Join(t.TempDir(), "catalog.db"), testKey(1))
	tx, err := c.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Insert(ctx, sample("x", "t", time.Time{})); err != nil {
		t.Fatal(err)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Get(ctx, "x"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("after rollback Get = %v, want ErrNotFound", err)
	}
}

func TestSealedFieldsNotOnDisk(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "catalog.db")
	c, err := Open(path, testKey(7))
	if err != nil {
		t.Fatal(err)
	}
	secret := "Chlamydia trachomatis infection"
	tx, _ := c.Begin(ctx)
	if _, err := tx.Insert(ctx, Record{ID: "r1", Kind: KindFHIR, ResourceType: "Condition", Category: "conditions",
		ContentType: "application/fhir+json", CID: "bafk", Title: secret, Source: "jane-doe-records.json",
		Date: time.Date(2019, 5, 6, 0, 0, 0, 0, time.UTC), AddedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	c.Close()
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range []string{secret, "jane-doe", "2019-05-06"} {
			if bytes.Contains(b, []byte(s)) {
				t.Errorf("%s holds %q in plaintext", e.Name(), s)
			}
		}
	}
	// Another wallet's key cannot read the rows.
	c2 := openTest(t, path, testKey(8))
	if _, err := c2.Get(ctx, "r1"); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Get with another key = %v, want ErrCorrupt", err)
	}
}

func TestReopenKeepsSchemaAndRefusesNewer(t *testing.T) {
	path := filepath.Join(t.TempDir(), "catalog.db")
	c, err := Open(path, testKey(1))
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := c.SchemaVersion(); v != len(migrations) {
		t.Fatalf("schema version %d, want %d", v, len(migrations))
	}
	if err := c.IntegrityCheck(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := c.db.Exec(`PRAGMA user_version = 99`); err != nil {
		t.Fatal(err)
	}
	c.Close()
	if _, err := Open(path, testKey(1)); !errors.Is(err, ErrTooNew) {
		t.Fatalf("Open of a newer schema = %v, want ErrTooNew", err)
	}
}
