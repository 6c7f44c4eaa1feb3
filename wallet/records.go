package wallet

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/ipfs/go-cid"

	"github.com/healthwallet/healthwallet/internal/atomicfile"
	"github.com/healthwallet/healthwallet/ipfs"
	"github.com/healthwallet/healthwallet/wallet/catalog"
	"github.com/healthwallet/healthwallet/wallet/envelope"
)

// Record is a catalog entry; its content is read with Read or Open.
type Record = catalog.Record

// Query selects records for List.
type Query = catalog.Query

// ErrNoRecord is returned for a record ID the wallet does not hold.
var ErrNoRecord = catalog.ErrNotFound

// MaxReadSize bounds Read, which holds a whole record in memory; larger
// records (attachments) are streamed with Open or SaveAs.
const MaxReadSize = 256 << 20

// List returns the wallet's records matching q, newest first.
func (w *Wallet) List(ctx context.Context, q Query) ([]Record, error) {
	return w.catalog.List(ctx, q)
}

// Counts returns the number of records per resource type.
func (w *Wallet) Counts(ctx context.Context) (map[string]int, error) {
	return w.catalog.Counts(ctx)
}

// Get returns a record's catalog entry.
func (w *Wallet) Get(ctx context.Context, id string) (Record, error) {
	return w.catalog.Get(ctx, id)
}

// Read returns a record's verified plaintext. It returns nothing unless the
// whole record decrypted and authenticated.
func (w *Wallet) Read(ctx context.Context, id string) (Record, []byte, error) {
	rec, err := w.catalog.Get(ctx, id)
	if err != nil {
		return Record{}, nil, err
	}
	if rec.Size > MaxReadSize {
		return rec, nil, fmt.Errorf("record %s is %d bytes: save it to a file instead", id, rec.Size)
	}
	ct, err := w.ciphertext(ctx, rec)
	if err != nil {
		return rec, nil, err
	}
	plain, err := envelope.DecryptAll(ct, w.id.KEMKey())
	if err != nil {
		return rec, nil, fmt.Errorf("decrypt record %s: %w", id, err)
	}
	return rec, plain, nil
}

// Open streams a record's plaintext. Every chunk is authenticated before it is
// returned; a damaged record ends in an error from Read, and a caller that
// shows or saves the bytes must discard what it got when that happens (SaveAs
// does).
func (w *Wallet) Open(ctx context.Context, id string) (Record, io.ReadCloser, error) {
	rec, err := w.catalog.Get(ctx, id)
	if err != nil {
		return Record{}, nil, err
	}
	c, err := w.content(ctx, rec)
	if err != nil {
		return rec, nil, err
	}
	r, err := envelope.NewReader(c, w.id.KEMKey())
	if err != nil {
		c.Close()
		return rec, nil, fmt.Errorf("decrypt record %s: %w", id, err)
	}
	return rec, readCloser{Reader: r, Closer: c}, nil
}

// SaveAs writes a record's plaintext to path. The file appears only once the
// whole record has been decrypted and verified.
func (w *Wallet) SaveAs(ctx context.Context, id, path string) error {
	_, r, err := w.Open(ctx, id)
	if err != nil {
		return err
	}
	defer r.Close()
	err = atomicfile.Write(path, 0o600, func(dst io.Writer) error {
		_, err := io.Copy(dst, r)
		return err
	})
	if err != nil {
		return fmt.Errorf("save record %s: %w", id, err)
	}
	return nil
}

func (w *Wallet) content(ctx context.Context, rec Record) (io.ReadCloser, error) {
	c, err := cid.Decode(rec.CID)
	if err != nil {
		return nil, fmt.Errorf("record %s: bad content ID %q: %w", rec.ID, rec.CID, err)
	}
	content, err := w.store.Get(ctx, c, nil)
	if err != nil {
		return nil, fmt.Errorf("record %s: %w", rec.ID, err)
	}
	return content, nil
}

func (w *Wallet) ciphertext(ctx context.Context, rec Record) ([]byte, error) {
	c, err := w.content(ctx, rec)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	b, err := io.ReadAll(c)
	if err != nil {
		return nil, fmt.Errorf("record %s: %w", rec.ID, err)
	}
	return b, nil
}

type readCloser struct {
	io.Reader
	io.Closer
}

// Kinds of record.
const (
	KindFHIR       = catalog.KindFHIR
	KindAttachment = catalog.KindAttachment
)

// pinLabel names a record's pin, so a wallet GC can tell its own pins from
// others (a clinic node pins patients' content it holds for them).
func pinLabel(id string) string { return "record:" + id }

// Delete removes a record from the wallet: its catalog entry, then its pin.
// The ciphertext's space comes back at the next GC.
func (w *Wallet) Delete(ctx context.Context, id string) error {
	rec, err := w.catalog.Get(ctx, id)
	if err != nil {
		return err
	}
	if err := w.catalog.Delete(ctx, id); err != nil {
		return err
	}
	c, err := cid.Decode(rec.CID)
	if err != nil {
		return fmt.Errorf("record %s: bad content ID %q: %w", id, rec.CID, err)
	}
	if err := w.store.Unpin(ctx, c); err != nil {
		return err
	}
	// The last backup's catalog snapshot still names the record: let it go
	// too, so a GC leaves nothing of the record behind.
	for pc, label := range w.store.Pins() {
		if strings.HasPrefix(label, backupPinPrefix) {
			if err := w.store.Unpin(ctx, pc); err != nil {
				return err
			}
		}
	}
	return nil
}

// GCReport says what a wallet GC freed.
type GCReport struct {
	OrphanPins int   // record pins with no catalog entry (a crash between the two)
	Blocks     int   // blocks removed
	Bytes      int64 // bytes freed
}

// GC releases the space of deleted records: it drops record pins the
// catalog no longer names, then removes every unpinned block.
func (w *Wallet) GC(ctx context.Context) (GCReport, error) {
	var rep GCReport
	recs, err := w.catalog.List(ctx, catalog.Query{})
	if err != nil {
		return rep, err
	}
	held := make(map[string]bool, len(recs))
	for _, r := range recs {
		held[pinLabel(r.ID)] = true
	}
	for c, label := range w.store.Pins() {
		if strings.HasPrefix(label, "record:") && !held[label] {
			if err := w.store.Unpin(ctx, c); err != nil {
				return rep, err
			}
			rep.OrphanPins++
		}
	}
	res, err := w.store.GC(ctx)
	rep.Blocks, rep.Bytes = res.Blocks, res.Bytes
	return rep, err
}

// Status summarises the wallet's storage.
type Status struct {
	Records   int
	Store     ipfs.Stat
	Online    bool
	PeerID    string
	Addresses []string
}

// Status counts records and blocks.
func (w *Wallet) Status(ctx context.Context) (Status, error) {
	counts, err := w.catalog.Counts(ctx)
	if err != nil {
		return Status{}, err
	}
	st := Status{Online: w.store.Online(), PeerID: w.store.PeerID().String()}
	for _, n := range counts {
		st.Records += n
	}
	for _, a := range w.store.Addrs() {
		st.Addresses = append(st.Addresses, a.String())
	}
	st.Store, err = w.store.Stat(ctx)
	return st, err
}

// IntegrityCheck runs SQLite's integrity check on the catalog.
func (w *Wallet) IntegrityCheck(ctx context.Context) error {
	return w.catalog.IntegrityCheck(ctx)
}
