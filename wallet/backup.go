package wallet

// A backup is the whole wallet as one CAR file (CARv1, a single root), made
// by ExportBackup and read by RestoreBackup. Format version 1:
//
//	<root>                 UnixFS directory (dag-pb, CIDv1, sha2-256)
//	├── README.txt         plain text: what the file is and how to restore it
//	├── catalog.hwenc      the catalog snapshot, encrypted (package envelope)
//	└── records/           UnixFS directory, a HAMT once it outgrows one block
//	    └── <record ID>    → the record's ciphertext DAG, as stored (same CID)
//
// catalog.hwenc is an envelope encrypted to the owner's own KEM public key,
// so only the recovery phrase opens it. Its plaintext is the JSON document
//
//	{"catalog": {"format": "healthwallet-backup-catalog", "version": 1,
//	             "wallet": "hw1…", "records": [{"id", "kind", "resourceType",
//	             "category", "contentType", "size", "cid", "title", "date",
//	             "source", "added"}, … sorted by id]},
//	 "mac": "<hex HMAC-SHA256 of the catalog's bytes>"}
//
// with the MAC under a key derived from the seed (label
// healthwallet/v1/backup-catalog): the envelope keeps the catalog secret,
// but anyone can encrypt to a public key, so the MAC shows the wallet itself
// wrote it. Each record's CID, named in the authenticated catalog, then
// vouches for its ciphertext.
//
// Nothing about health is readable without the phrase: entry names are
// record IDs (keyed hashes), sizes are ciphertext sizes. The records are not
// re-encrypted or copied: the backup links the blocks the wallet holds.
// Files are standard IPFS: `ipfs dag import` takes one with the same root
// and `ipfs ls` lists it, so a clinic node can hold a patient's backup it
// cannot read.
//
// The same catalog gives the same backup, byte for byte: envelopes are
// randomised, so the catalog ciphertext of the last backup is kept (pinned,
// labelled with the catalog's MAC) and reused while the catalog is
// unchanged, and directories and the CAR are deterministic. A wallet
// restored from a backup keeps the backup's catalog ciphertext, so its
// first backup is the file it came from.

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ipfs/go-cid"

	"github.com/healthwallet/healthwallet/wallet/catalog"
	"github.com/healthwallet/healthwallet/wallet/envelope"
)

var (
	// ErrBackupOtherWallet is returned by RestoreBackup for a backup made
	// by a wallet with another recovery phrase.
	ErrBackupOtherWallet = errors.New("this backup belongs to another wallet")
	// ErrBadBackup is returned by RestoreBackup for a file that is not a
	// complete, intact Health Wallet backup.
	ErrBadBackup = errors.New("not a valid Health Wallet backup")
)

const (
	backupFormat  = "healthwallet-backup-catalog"
	backupVersion = 1

	backupReadmeName  = "README.txt"
	backupCatalogName = "catalog.hwenc"
	backupRecordsName = "records"
	backupReadme      = "Health Wallet encrypted backup, format v1; restore with healthwallet restore --backup FILE\n"

	// labelBackupCatalog derives the key of the catalog snapshot's MAC.
	// Never reuse or change it.
	labelBackupCatalog = "healthwallet/v1/backup-catalog"

	// backupPinPrefix labels the pin of the last backup's catalog
	// ciphertext; the label ends in the catalog's MAC, in hex.
	backupPinPrefix = "backup-catalog:"

	// maxBackupCatalogSize bounds catalog.hwenc, which is read whole:
	// about a million records.
	maxBackupCatalogSize = 512 << 20
)

// backupCatalog is the catalog snapshot.
type backupCatalog struct {
	Format  string         `json:"format"`
	Version int            `json:"version"`
	Wallet  string         `json:"wallet"`
	Records []backupRecord `json:"records"`
}

type backupRecord struct {
	ID           string `json:"id"`
	Kind         string `json:"kind"`
	ResourceType string `json:"resourceType"`
	Category     string `json:"category"`
	ContentType  string `json:"contentType"`
	Size         int64  `json:"size"` // plaintext bytes
	CID          string `json:"cid"`
	Title        string `json:"title"`
	Date         string `json:"date,omitempty"` // RFC 3339, UTC
	Source       string `json:"source,omitempty"`
	Added        string `json:"added"` // RFC 3339, UTC
}

// backupDocument is the plaintext of catalog.hwenc.
type backupDocument struct {
	Catalog json.RawMessage `json:"catalog"`
	MAC     string          `json:"mac"`
}

// ExportBackup writes the whole wallet to out as one CAR file (the format is
// described at the top of this file) and returns its root CID. progress, if
// not nil, is told the bytes written of the CAR's total.
func (w *Wallet) ExportBackup(ctx context.Context, out io.Writer, progress Progress) (root cid.Cid, err error) {
	// No GC from the first block added until the CAR is written.
	unlock := w.store.PinLock(ctx)
	defer unlock.Unlock(context.WithoutCancel(ctx))

	recs, err := w.catalog.List(ctx, catalog.Query{})
	if err != nil {
		return cid.Undef, fmt.Errorf("backup: %w", err)
	}
	doc, mac, err := w.sealBackupCatalog(recs)
	if err != nil {
		return cid.Undef, fmt.Errorf("backup: %w", err)
	}
	catCID, err := w.backupCatalogCID(ctx, doc, mac)
	if err != nil {
		return cid.Undef, fmt.Errorf("backup: %w", err)
	}
	readme, err := w.store.Add(ctx, strings.NewReader(backupReadme), nil)
	if err != nil {
		return cid.Undef, fmt.Errorf("backup: %w", err)
	}
	entries := make(map[string]cid.Cid, len(recs))
	for _, rec := range recs {
		c, err := cid.Decode(rec.CID)
		if err != nil {
			return cid.Undef, fmt.Errorf("backup: record %s: bad content ID %q: %w", rec.ID, rec.CID, err)
		}
		entries[rec.ID] = c
	}
	records, err := w.store.PutDirectory(ctx, entries)
	if err != nil {
		return cid.Undef, fmt.Errorf("backup: %w", err)
	}
	root, err = w.store.PutDirectory(ctx, map[string]cid.Cid{
		backupReadmeName:  readme,
		backupCatalogName: catCID,
		backupRecordsName: records,
	})
	if err != nil {
		return cid.Undef, fmt.Errorf("backup: %w", err)
	}
	var total int64
	if progress != nil {
		if _, total, err = w.store.StatCAR(ctx, root); err != nil {
			return cid.Undef, fmt.Errorf("backup: %w", err)
		}
		progress(0, total)
	}
	cw := &progressWriter{w: out, total: total, progress: progress}
	if err := w.store.WriteCAR(ctx, cw, root, nil); err != nil {
		return cid.Undef, fmt.Errorf("backup: %w", err)
	}
	w.log.Debug("wrote backup", "root", root, "records", len(recs), "bytes", cw.n)
	return root, nil
}

// sealBackupCatalog returns the plaintext of catalog.hwenc for recs and the
// catalog's MAC.
func (w *Wallet) sealBackupCatalog(recs []Record) (doc, mac []byte, err error) {
	cat := backupCatalog{
		Format:  backupFormat,
		Version: backupVersion,
		Wallet:  w.ID().String(),
		Records: make([]backupRecord, 0, len(recs)),
	}
	for _, r := range recs {
		br := backupRecord{
			ID:           r.ID,
			Kind:         string(r.Kind),
			ResourceType: r.ResourceType,
			Category:     r.Category,
			ContentType:  r.ContentType,
			Size:         r.Size,
			CID:          r.CID,
			Title:        r.Title,
			Source:       r.Source,
			Added:        r.AddedAt.UTC().Format(time.RFC3339Nano),
		}
		if !r.Date.IsZero() {
			br.Date = r.Date.UTC().Format(time.RFC3339Nano)
		}
		cat.Records = append(cat.Records, br)
	}
	slices.SortFunc(cat.Records, func(a, b backupRecord) int { return strings.Compare(a.ID, b.ID) })
	body, err := json.Marshal(cat)
	if err != nil {
		return nil, nil, err
	}
	mac = w.backupMAC(body)
	doc, err = json.Marshal(backupDocument{Catalog: body, MAC: hex.EncodeToString(mac)})
	if err != nil {
		return nil, nil, err
	}
	return doc, mac, nil
}

func (w *Wallet) backupMAC(body []byte) []byte {
	m := hmac.New(sha256.New, w.id.DeriveKey(labelBackupCatalog, 32))
	m.Write(body)
	return m.Sum(nil)
}

// backupCatalogCID stores doc encrypted and pinned, or finds it stored by an
// earlier backup of the same catalog, and returns its CID. Pins of older
// backup catalogs are dropped.
func (w *Wallet) backupCatalogCID(ctx context.Context, doc, mac []byte) (cid.Cid, error) {
	// Two backups at once would each unpin the other's catalog.
	backupMu.Lock()
	defer backupMu.Unlock()
	label := backupPinPrefix + hex.EncodeToString(mac)
	var found cid.Cid
	for c, l := range w.store.Pins() {
		if l == label && !found.Defined() && w.holdsBackupCatalog(ctx, c, doc) {
			found = c
		}
	}
	if !found.Defined() {
		c, err := w.encryptAndStore(ctx, bytes.NewReader(doc))
		if err != nil {
			return cid.Undef, fmt.Errorf("store catalog: %w", err)
		}
		if err := w.store.Pin(ctx, c, label); err != nil {
			return cid.Undef, err
		}
		if err := w.store.Sync(ctx); err != nil {
			return cid.Undef, err
		}
		found = c
	}
	for c, l := range w.store.Pins() {
		if strings.HasPrefix(l, backupPinPrefix) && !c.Equals(found) {
			if err := w.store.Unpin(ctx, c); err != nil {
				w.log.Warn("could not unpin an old backup catalog", "cid", c, "err", err)
			}
		}
	}
	return found, nil
}

// backupMu serialises the choice of a backup's catalog ciphertext.
var backupMu sync.Mutex

// holdsBackupCatalog reports whether the content under c decrypts to doc.
func (w *Wallet) holdsBackupCatalog(ctx context.Context, c cid.Cid, doc []byte) bool {
	if err := w.store.CheckDAG(ctx, c); err != nil {
		return false
	}
	plain, err := w.readBackupCatalog(ctx, c)
	return err == nil && bytes.Equal(plain, doc)
}

// readBackupCatalog returns the decrypted catalog.hwenc under c.
func (w *Wallet) readBackupCatalog(ctx context.Context, c cid.Cid) ([]byte, error) {
	content, err := w.store.Get(ctx, c, nil)
	if err != nil {
		return nil, err
	}
	defer content.Close()
	if content.Size() > maxBackupCatalogSize {
		return nil, fmt.Errorf("%w: %s is %d bytes, over the limit of %d", ErrBadBackup, backupCatalogName, content.Size(), maxBackupCatalogSize)
	}
	ct, err := io.ReadAll(content)
	if err != nil {
		return nil, err
	}
	plain, err := envelope.DecryptAll(ct, w.id.KEMKey())
	if errors.Is(err, envelope.ErrNoMatchingRecipient) {
		return nil, ErrBackupOtherWallet
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrBadBackup, backupCatalogName, err)
	}
	return plain, nil
}

// openBackupCatalog authenticates and parses a decrypted catalog.hwenc.
func (w *Wallet) openBackupCatalog(doc []byte) (recs []Record, mac []byte, err error) {
	var d backupDocument
	if err := json.Unmarshal(doc, &d); err != nil {
		return nil, nil, fmt.Errorf("%w: %s: %w", ErrBadBackup, backupCatalogName, err)
	}
	got, err := hex.DecodeString(d.MAC)
	mac = w.backupMAC(d.Catalog)
	if err != nil || !hmac.Equal(got, mac) {
		return nil, nil, fmt.Errorf("%w: the catalog was not written by this wallet (authentication failed)", ErrBadBackup)
	}
	var cat backupCatalog
	if err := json.Unmarshal(d.Catalog, &cat); err != nil {
		return nil, nil, fmt.Errorf("%w: %s: %w", ErrBadBackup, backupCatalogName, err)
	}
	if cat.Format != backupFormat || cat.Version != backupVersion {
		return nil, nil, fmt.Errorf("%w: catalog format %q version %d; this version of Health Wallet reads %q version %d",
			ErrBadBackup, cat.Format, cat.Version, backupFormat, backupVersion)
	}
	if cat.Wallet != w.ID().String() {
		return nil, nil, fmt.Errorf("%w (made by %s)", ErrBackupOtherWallet, cat.Wallet)
	}
	seen := make(map[string]bool, len(cat.Records))
	for i, br := range cat.Records {
		rec, err := br.record()
		if err != nil {
			return nil, nil, fmt.Errorf("%w: catalog entry %d: %w", ErrBadBackup, i+1, err)
		}
		if seen[rec.ID] {
			return nil, nil, fmt.Errorf("%w: record %s listed twice", ErrBadBackup, rec.ID)
		}
		seen[rec.ID] = true
		recs = append(recs, rec)
	}
	return recs, mac, nil
}

func (br backupRecord) record() (Record, error) {
	rec := Record{
		ID:           br.ID,
		Kind:         catalog.Kind(br.Kind),
		ResourceType: br.ResourceType,
		Category:     br.Category,
		ContentType:  br.ContentType,
		Size:         br.Size,
		CID:          br.CID,
		Title:        br.Title,
		Source:       br.Source,
	}
	if len(rec.ID) != 24 || strings.Trim(rec.ID, "abcdefghijklmnopqrstuvwxyz234567") != "" {
		return rec, fmt.Errorf("bad record ID %q", rec.ID)
	}
	if rec.Kind != KindFHIR && rec.Kind != KindAttachment {
		return rec, fmt.Errorf("record %s: unknown kind %q", rec.ID, rec.Kind)
	}
	if rec.ResourceType == "" || rec.Size < 0 {
		return rec, fmt.Errorf("record %s: no resource type, or a negative size", rec.ID)
	}
	c, err := cid.Decode(rec.CID)
	if err != nil || c.String() != rec.CID {
		return rec, fmt.Errorf("record %s: bad content ID %q", rec.ID, rec.CID)
	}
	if br.Date != "" {
		if rec.Date, err = time.Parse(time.RFC3339Nano, br.Date); err != nil {
			return rec, fmt.Errorf("record %s: bad date: %w", rec.ID, err)
		}
		rec.Date = rec.Date.UTC()
	}
	if rec.AddedAt, err = time.Parse(time.RFC3339Nano, br.Added); err != nil {
		return rec, fmt.Errorf("record %s: bad time added: %w", rec.ID, err)
	}
	rec.AddedAt = rec.AddedAt.UTC()
	return rec, nil
}

// RestoreBackup makes a wallet in dir from its recovery phrase, like
// Restore, and fills it from a backup made by ExportBackup. The backup must
// be this wallet's, complete and intact, or nothing is kept: on any error
// whatever was created in dir is removed again, and dir holds no wallet.
// progress, if not nil, is told the bytes of the backup read (of its size,
// when backup is a file or another io.Seeker).
func RestoreBackup(ctx context.Context, dir, phrase string, passphrase []byte, backup io.Reader, opts Options, progress Progress) (_ *Wallet, err error) {
	undo := noteDir(dir)
	w, err := Restore(dir, phrase, passphrase, opts)
	if err != nil {
		if !errors.Is(err, ErrWalletExists) && !errors.Is(err, ErrLocked) {
			undo()
		}
		return nil, err
	}
	defer func() {
		if err != nil {
			w.Close()
			undo()
		}
	}()
	if err := w.restoreBackup(ctx, backup, progress); err != nil {
		return nil, err
	}
	return w, nil
}

func (w *Wallet) restoreBackup(ctx context.Context, backup io.Reader, progress Progress) error {
	unlock := w.store.PinLock(ctx)
	defer unlock.Unlock(context.WithoutCancel(ctx))

	in := &countingReader{r: backup, total: remaining(backup), progress: progress}
	roots, err := w.store.ReadCAR(ctx, in, nil)
	if err != nil {
		if ctx.Err() != nil {
			return err
		}
		return fmt.Errorf("restore backup: %w: %w", ErrBadBackup, err)
	}
	if len(roots) != 1 {
		return fmt.Errorf("restore backup: %w: %d roots, want 1", ErrBadBackup, len(roots))
	}
	top, err := w.store.ReadDirectory(ctx, roots[0])
	if err != nil {
		return fmt.Errorf("restore backup: %w: %w", ErrBadBackup, err)
	}
	catCID, okCat := top[backupCatalogName]
	recordsDir, okRecs := top[backupRecordsName]
	if !okCat || !okRecs {
		return fmt.Errorf("restore backup: %w: no %s or %s/ in its root", ErrBadBackup, backupCatalogName, backupRecordsName)
	}
	doc, err := w.readBackupCatalog(ctx, catCID)
	if errors.Is(err, ErrBackupOtherWallet) {
		return fmt.Errorf("restore backup: %w (it was not made with this recovery phrase)", err)
	}
	if err != nil {
		return fmt.Errorf("restore backup: %w", err)
	}
	recs, mac, err := w.openBackupCatalog(doc)
	if err != nil {
		return fmt.Errorf("restore backup: %w", err)
	}
	entries, err := w.store.ReadDirectory(ctx, recordsDir)
	if err != nil {
		return fmt.Errorf("restore backup: %w: %w", ErrBadBackup, err)
	}
	if len(entries) != len(recs) {
		return fmt.Errorf("restore backup: %w: %d records in %s/, %d in the catalog", ErrBadBackup, len(entries), backupRecordsName, len(recs))
	}
	// ReadCAR checked that every block under the root is here, so each
	// record's ciphertext is, and its CID is the catalog's.
	for _, rec := range recs {
		c, ok := entries[rec.ID]
		if !ok || c.String() != rec.CID {
			return fmt.Errorf("restore backup: %w: record %s: the catalog says %s, %s/ holds %q", ErrBadBackup, rec.ID, rec.CID, backupRecordsName, c)
		}
		if err := w.store.Pin(ctx, c, pinLabel(rec.ID)); err != nil {
			return fmt.Errorf("restore backup: record %s: %w", rec.ID, err)
		}
	}
	// Keep the backup's catalog ciphertext: the next backup of the same
	// records is then this very file.
	if err := w.store.Pin(ctx, catCID, backupPinPrefix+hex.EncodeToString(mac)); err != nil {
		return fmt.Errorf("restore backup: %w", err)
	}
	if err := w.store.Sync(ctx); err != nil {
		return fmt.Errorf("restore backup: %w", err)
	}
	tx, err := w.catalog.Begin(ctx)
	if err != nil {
		return fmt.Errorf("restore backup: %w", err)
	}
	defer tx.Rollback()
	for _, rec := range recs {
		inserted, err := tx.Insert(ctx, rec)
		if err != nil {
			return fmt.Errorf("restore backup: %w", err)
		}
		if !inserted {
			return fmt.Errorf("restore backup: record %s is already in the wallet", rec.ID)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("restore backup: %w", err)
	}
	w.log.Debug("restored backup", "root", roots[0], "records", len(recs))
	return nil
}

// noteDir records what dir holds now and returns a function that removes
// whatever was added to it since: the directory itself if it did not exist.
func noteDir(dir string) (undo func()) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return func() { os.RemoveAll(dir) }
	}
	if err != nil {
		// Not knowing what was there, remove nothing; Restore fails here too.
		return func() {}
	}
	before := make(map[string]bool, len(entries))
	for _, e := range entries {
		before[e.Name()] = true
	}
	return func() {
		// The keystore first: from then on dir holds no wallet.
		if !before[keystoreFile] {
			os.Remove(filepath.Join(dir, keystoreFile))
		}
		now, _ := os.ReadDir(dir)
		for _, e := range now {
			if !before[e.Name()] {
				os.RemoveAll(filepath.Join(dir, e.Name()))
			}
		}
	}
}

// remaining returns how many bytes r has left to read, if it can tell
// without moving (a bytes.Reader, a file), or 0.
func remaining(r io.Reader) int64 {
	switch r := r.(type) {
	case interface{ Len() int }:
		return int64(r.Len())
	case interface {
		io.Seeker
		Stat() (os.FileInfo, error)
	}:
		st, err := r.Stat()
		if err != nil || !st.Mode().IsRegular() {
			return 0
		}
		cur, err := r.Seek(0, io.SeekCurrent)
		if err != nil {
			return 0
		}
		return max(st.Size()-cur, 0)
	}
	return 0
}

// progressWriter counts the bytes written through it for a Progress.
type progressWriter struct {
	w        io.Writer
	n, total int64
	progress Progress
}

func (p *progressWriter) Write(b []byte) (int, error) {
	n, err := p.w.Write(b)
	p.n += int64(n)
	if p.progress != nil && n > 0 {
		p.progress(p.n, max(p.total, p.n))
	}
	return n, err
}
