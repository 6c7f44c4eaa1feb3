// Package wallet is what a Health Wallet user does: create or restore an
// identity, unlock it with a passphrase, import health records, read them back
// and export them. The GUI and the CLI are thin layers over it: everything a
// screen does is a call here that a script can make too.
//
// A wallet lives in one data directory:
//
//	keystore.hwks   the recovery seed, sealed under the passphrase (package keystore)
//	catalog.db      the record index, SQLite (package catalog)
//	blocks/         record ciphertexts as UnixFS DAGs (package ipfs)
//	lock            held while the wallet is open, so one process owns it
//
// Each record is encrypted under its own data key (package envelope) wrapped
// to the owner's hybrid post-quantum KEM key. Nothing readable is written to
// disk: the catalog's identifying columns are sealed too.
//
// The package owns the composition, not the formats: each format lives in its
// own package with its own spec and test vectors.
package wallet
