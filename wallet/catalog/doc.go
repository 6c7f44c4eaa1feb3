// Package catalog is the wallet's index of its records, in SQLite: one row
// per record with what a list needs (resource type, category, size, the
// content ID of its ciphertext) and, sealed under a key derived from the
// wallet's seed, what would identify the patient (title, clinical date,
// source file name).
//
// It owns the schema and its migrations; internal/sqlitedb applies them and
// the durability settings (WAL, synchronous=FULL, foreign keys), checked at
// open. It does not hold record
// contents or data keys: those live, encrypted, in the content store.
package catalog
