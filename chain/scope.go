package chain

import (
	"fmt"
	"slices"
)

// Scope is what a grant or request covers: individual records, whole
// categories, or both. Both lists are sets in canonical form: strictly
// increasing (record IDs bytewise, categories by code), so one set has one
// encoding. A scope is never empty, and holds at most MaxScopeEntries
// entries in all. NewScope sorts and de-duplicates for you.
//
// Wire form:
//
//	record IDs   uvarint count, then each as text
//	categories   uvarint count, then each as u8
type Scope struct {
	RecordIDs  []string
	Categories []Category
}

// NewScope returns the canonical scope holding the given record IDs and
// categories (in any order, duplicates dropped). It does not validate them;
// Validate does.
func NewScope(recordIDs []string, categories []Category) Scope {
	ids := slices.Clone(recordIDs)
	slices.Sort(ids)
	cats := slices.Clone(categories)
	slices.Sort(cats)
	s := Scope{RecordIDs: slices.Compact(ids), Categories: slices.Compact(cats)}
	if len(s.RecordIDs) == 0 {
		s.RecordIDs = nil
	}
	if len(s.Categories) == 0 {
		s.Categories = nil
	}
	return s
}

// Validate checks the scope's entries and canonical order.
func (s Scope) Validate() error {
	n := len(s.RecordIDs) + len(s.Categories)
	if n == 0 {
		return fmt.Errorf("scope is empty: %w", ErrInvalid)
	}
	if n > MaxScopeEntries {
		return fmt.Errorf("scope of %d entries, limit %d: %w", n, MaxScopeEntries, ErrTooLarge)
	}
	for i, id := range s.RecordIDs {
		if err := ValidRecordID(id); err != nil {
			return fmt.Errorf("scope: record IDs: entry %d: %w", i, err)
		}
		if i > 0 && id <= s.RecordIDs[i-1] {
			return fmt.Errorf("scope: record IDs: entry %d not after entry %d (sorted, no duplicates): %w", i, i-1, ErrNonCanonical)
		}
	}
	for i, c := range s.Categories {
		if !c.Valid() {
			return fmt.Errorf("scope: categories: entry %d: %v: %w", i, c, ErrInvalid)
		}
		if i > 0 && c <= s.Categories[i-1] {
			return fmt.Errorf("scope: categories: entry %d not after entry %d (sorted, no duplicates): %w", i, i-1, ErrNonCanonical)
		}
	}
	return nil
}

// Covers reports whether the scope includes a record with this ID and
// category.
func (s Scope) Covers(recordID string, c Category) bool {
	_, inIDs := slices.BinarySearch(s.RecordIDs, recordID)
	_, inCats := slices.BinarySearch(s.Categories, c)
	return inIDs || inCats
}

func (e *Encoder) scope(s Scope) {
	e.Uvarint(uint64(len(s.RecordIDs)))
	for _, id := range s.RecordIDs {
		e.Text(id)
	}
	e.Uvarint(uint64(len(s.Categories)))
	for _, c := range s.Categories {
		e.Uint8(uint8(c))
	}
}

// scope reads a scope; the caller validates it (order and values).
func (d *Decoder) scope() Scope {
	var s Scope
	n := d.Len("scope: record IDs: count", MaxScopeEntries)
	if n > 0 {
		s.RecordIDs = make([]string, n)
		for i := range s.RecordIDs {
			s.RecordIDs[i] = d.Text("scope: record ID", MaxRecordIDLen)
		}
	}
	m := d.Len("scope: categories: count", MaxScopeEntries-n)
	if m > 0 {
		s.Categories = make([]Category, m)
		for i := range s.Categories {
			s.Categories[i] = Category(d.Uint8("scope: category"))
		}
	}
	if d.err != nil {
		return Scope{}
	}
	return s
}
