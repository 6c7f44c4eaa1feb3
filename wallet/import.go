package wallet

import (
	"bufio"
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"github.com/ipfs/go-cid"
	"golang.org/x/sync/errgroup"

	"github.com/healthwallet/healthwallet/wallet/catalog"
	"github.com/healthwallet/healthwallet/wallet/envelope"
	"github.com/healthwallet/healthwallet/wallet/fhir"
)

// ErrUnsupportedFile is returned for a file that is neither FHIR JSON nor a
// PDF or image.
var ErrUnsupportedFile = errors.New("not a FHIR R4 JSON file, a PDF or an image")

const (
	contentTypeFHIR = "application/fhir+json"
	// attachmentType is the catalog resource type of attachment records.
	attachmentType = "Binary"
)

// ImportReport says what one file gave.
type ImportReport struct {
	File       string
	Added      int            // new records
	Duplicates int            // entries already in the wallet (or repeated in the file)
	ByType     map[string]int // new records per resource type
	IDs        []string       // the file's records, new or already held, in file order
}

// Progress is told how far a long task has come: done of total units.
// Calls come from the task's goroutines, one at a time, with done never
// decreasing; it must not block.
type Progress func(done, total int64)

// ImportFile imports one file: a FHIR R4 resource, a Bundle, bulk NDJSON, a
// PDF or an image. A file is imported whole or not at all.
func (w *Wallet) ImportFile(ctx context.Context, path string, progress Progress) (ImportReport, error) {
	// From the first block added until the records are pinned, no GC.
	unlock := w.store.PinLock(ctx)
	defer unlock.Unlock(context.WithoutCancel(ctx))
	f, err := os.Open(path)
	if err != nil {
		return ImportReport{File: path}, fmt.Errorf("import: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return ImportReport{File: path}, fmt.Errorf("import %s: %w", path, err)
	}
	if st.IsDir() {
		return ImportReport{File: path}, fmt.Errorf("import %s: is a directory", path)
	}
	br := bufio.NewReaderSize(f, 64<<10)
	head, _ := br.Peek(512)
	if ct, ok := fhir.DetectAttachment(head); ok {
		return w.importAttachment(ctx, path, filepath.Base(path), ct, st.ModTime(), st.Size(), br, progress)
	}
	data, err := io.ReadAll(br)
	if err != nil {
		return ImportReport{File: path}, fmt.Errorf("import %s: %w", path, err)
	}
	return w.importBytes(ctx, path, data, progress)
}

// ImportBytes imports the content of one file already in memory; name is the
// file's name, for the catalog and for errors.
func (w *Wallet) ImportBytes(ctx context.Context, name string, data []byte, progress Progress) (ImportReport, error) {
	unlock := w.store.PinLock(ctx)
	defer unlock.Unlock(context.WithoutCancel(ctx))
	return w.importBytes(ctx, name, data, progress)
}

func (w *Wallet) importBytes(ctx context.Context, name string, data []byte, progress Progress) (ImportReport, error) {
	if ct, ok := fhir.DetectAttachment(data); ok {
		return w.importAttachment(ctx, name, filepath.Base(name), ct, w.opts.now(), int64(len(data)), bytes.NewReader(data), progress)
	}
	if first := firstNonSpace(data); first != '{' && first != 0 {
		return ImportReport{File: name}, fmt.Errorf("import %q: %w", name, ErrUnsupportedFile)
	}
	resources, err := fhir.Parse(name, data)
	if err != nil {
		return ImportReport{File: name}, err
	}
	items := make([]*pending, len(resources))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(runtime.GOMAXPROCS(0))
	for i, r := range resources {
		g.Go(func() error {
			if err := gctx.Err(); err != nil {
				return err
			}
			p, err := w.prepare(name, r)
			if err != nil {
				return fmt.Errorf("import %q: entry %d: %w", name, i+1, err)
			}
			items[i] = p
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return ImportReport{File: name}, err
	}
	return w.commit(ctx, name, items, progress)
}

// pending is one record on its way in.
type pending struct {
	rec   catalog.Record
	plain []byte // what gets encrypted
	skip  bool   // already held
	cid   cid.Cid
}

func (w *Wallet) prepare(source string, r fhir.Resource) (*pending, error) {
	if title, ct, date, data, ok := fhir.ParseAttachmentDocument(r); ok {
		return &pending{
			rec:   w.attachmentRecord(w.recordIDOf(catalog.KindAttachment, data), title, ct, date, source, int64(len(data))),
			plain: data,
		}, nil
	}
	canon, err := fhir.Canonical(r.JSON)
	if err != nil {
		return nil, err
	}
	sum := fhir.Summarize(r)
	return &pending{
		rec: catalog.Record{
			ID:           w.recordIDOf(catalog.KindFHIR, canon),
			Kind:         catalog.KindFHIR,
			ResourceType: r.Type,
			Category:     sum.Category,
			ContentType:  contentTypeFHIR,
			Size:         int64(len(r.JSON)),
			Title:        sum.Title,
			Date:         sum.Date,
			Source:       filepath.Base(source),
		},
		plain: r.JSON,
	}, nil
}

func (w *Wallet) attachmentRecord(id, title, contentType string, date time.Time, source string, size int64) catalog.Record {
	return catalog.Record{
		ID:           id,
		Kind:         catalog.KindAttachment,
		ResourceType: attachmentType,
		Category:     fhir.CategoryDocuments,
		ContentType:  contentType,
		Size:         size,
		Title:        title,
		Date:         date.UTC().Truncate(time.Second),
		Source:       filepath.Base(source),
	}
}

// recordIDOf names a record by a keyed hash of its canonical content: the same
// content imported twice gets the same ID, and the ID tells nobody without the
// wallet's key anything about the content.
func (w *Wallet) recordIDOf(kind catalog.Kind, canonical []byte) string {
	m := w.newRecordMAC(kind)
	m.Write(canonical)
	return encodeRecordID(m.Sum(nil))
}

func (w *Wallet) newRecordMAC(kind catalog.Kind) hash.Hash {
	m := hmac.New(sha256.New, w.recordID)
	m.Write([]byte(kind))
	m.Write([]byte{0})
	return m
}

var recordIDEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

func encodeRecordID(sum []byte) string { return recordIDEncoding.EncodeToString(sum[:15]) }

// commit encrypts and stores every new item, then records them in the catalog
// in one transaction. On any failure nothing of the file is kept.
func (w *Wallet) commit(ctx context.Context, name string, items []*pending, progress Progress) (rep ImportReport, err error) {
	rep = ImportReport{File: name, ByType: map[string]int{}}
	seen := make(map[string]bool, len(items))
	var fresh []*pending
	for _, p := range items {
		rep.IDs = append(rep.IDs, p.rec.ID)
		if seen[p.rec.ID] {
			p.skip = true
			continue
		}
		seen[p.rec.ID] = true
		held, err := w.catalog.Has(ctx, p.rec.ID)
		if err != nil {
			return rep, fmt.Errorf("import %q: %w", name, err)
		}
		if held {
			p.skip = true
			continue
		}
		fresh = append(fresh, p)
	}
	rep.Duplicates = len(items) - len(fresh)

	defer func() {
		if err != nil {
			w.undoAdds(fresh)
		}
	}()

	// Progress calls are serialised and their counts only grow, so a caller
	// needs no locking of its own.
	var progressMu sync.Mutex
	total, done := int64(len(items)), int64(rep.Duplicates)
	advance := func(n int64) {
		progressMu.Lock()
		defer progressMu.Unlock()
		done += n
		if progress != nil {
			progress(done, total)
		}
	}
	advance(0)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(runtime.GOMAXPROCS(0))
	for _, p := range fresh {
		if p.cid.Defined() { // streamed in already
			advance(1)
			continue
		}
		g.Go(func() error {
			if err := gctx.Err(); err != nil {
				return err
			}
			c, err := w.encryptAndStore(gctx, bytes.NewReader(p.plain))
			if err != nil {
				return fmt.Errorf("store record %s: %w", p.rec.ID, err)
			}
			p.cid = c
			advance(1)
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return rep, fmt.Errorf("import %q: %w", name, err)
	}
	for _, p := range fresh {
		if err := w.store.Pin(ctx, p.cid, pinLabel(p.rec.ID)); err != nil {
			return rep, fmt.Errorf("import %q: %w", name, err)
		}
	}
	if err := w.store.Sync(ctx); err != nil {
		return rep, fmt.Errorf("import %q: %w", name, err)
	}
	now := w.opts.now().UTC().Truncate(time.Millisecond)
	tx, err := w.catalog.Begin(ctx)
	if err != nil {
		return rep, fmt.Errorf("import %q: %w", name, err)
	}
	defer tx.Rollback()
	for _, p := range fresh {
		p.rec.CID = p.cid.String()
		p.rec.AddedAt = now
		inserted, err := tx.Insert(ctx, p.rec)
		if err != nil {
			return rep, fmt.Errorf("import %q: %w", name, err)
		}
		if inserted {
			rep.Added++
			rep.ByType[p.rec.ResourceType]++
		} else {
			// Another import added the same content meanwhile.
			rep.Duplicates++
			w.undoAdds([]*pending{p})
		}
	}
	if err := tx.Commit(); err != nil {
		return rep, fmt.Errorf("import %q: %w", name, err)
	}
	w.log.Debug("imported file", "file", name, "added", rep.Added, "duplicates", rep.Duplicates)
	if rep.Added > 0 {
		w.wakeChores() // new records may fall in a grant's scope
	}
	return rep, nil
}

// importAttachment streams a file into the store with constant memory,
// hashing it for its ID on the way.
func (w *Wallet) importAttachment(ctx context.Context, path, title, contentType string, date time.Time, size int64, r io.Reader, progress Progress) (ImportReport, error) {
	mac := w.newRecordMAC(catalog.KindAttachment)
	counted := &countingReader{r: io.TeeReader(r, mac), total: size, progress: progress}
	c, err := w.encryptAndStore(ctx, counted)
	if err != nil {
		return ImportReport{File: path}, fmt.Errorf("import %q: %w", path, err)
	}
	rec := w.attachmentRecord(encodeRecordID(mac.Sum(nil)), title, contentType, date, path, counted.n)
	p := &pending{rec: rec, cid: c}
	if held, err := w.catalog.Has(ctx, rec.ID); err == nil && held {
		w.undoAdds([]*pending{p})
		return ImportReport{File: path, Duplicates: 1, ByType: map[string]int{}, IDs: []string{rec.ID}}, nil
	}
	return w.commit(ctx, path, []*pending{p}, nil)
}

// encryptAndStore encrypts r to the owner and adds the ciphertext to the
// store, streaming: memory stays constant whatever the size.
func (w *Wallet) encryptAndStore(ctx context.Context, r io.Reader) (cid.Cid, error) {
	pr, pw := io.Pipe()
	encErr := make(chan error, 1)
	go func() {
		_, err := envelope.Encrypt(pw, r, w.id.KEMKey().PublicKey())
		pw.CloseWithError(err)
		encErr <- err
	}()
	c, addErr := w.store.Add(ctx, pr, nil)
	pr.CloseWithError(errors.New("store stopped reading"))
	err := <-encErr
	if addErr != nil {
		// The store's error is the cause; the encrypter only saw the pipe close.
		return cid.Undef, addErr
	}
	if err != nil {
		w.store.Remove(context.WithoutCancel(ctx), c)
		return cid.Undef, fmt.Errorf("encrypt: %w", err)
	}
	return c, nil
}

// undoAdds removes the blocks of items that were stored but never recorded.
func (w *Wallet) undoAdds(items []*pending) {
	ctx := context.Background()
	for _, p := range items {
		if p.cid.Defined() {
			w.store.Unpin(ctx, p.cid)
			if err := w.store.Remove(ctx, p.cid); err != nil {
				w.log.Warn("could not remove blocks of a failed import", "cid", p.cid, "err", err)
			}
			p.cid = cid.Undef
		}
	}
}

type countingReader struct {
	r        io.Reader
	n, total int64
	progress Progress
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if c.progress != nil && n > 0 {
		c.progress(c.n, max(c.total, c.n))
	}
	return n, err
}

func firstNonSpace(b []byte) byte {
	b = bytes.TrimLeft(b, " \t\r\n\ufeff")
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	if len(b) == 0 {
		return 0
	}
	return b[0]
}
