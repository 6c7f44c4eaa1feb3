package wallet

import (
	"context"
	"fmt"
	"sync"

	"github.com/healthwallet/healthwallet/chain"
	"github.com/healthwallet/healthwallet/chain/state"
)

// This file keeps grants current as records come and go: records the
// patient adds inside an active read grant's scope are keyed to the grantee
// (a GrantCapsule), and a record whose key was released under a grant that
// has ended is re-encrypted under a fresh key before it is shared again.

// capsuleCache holds opened capsules by CID: they are immutable, and the
// patient's wallet reads its own often to know what a grant covers.
type capsuleCache struct {
	mu sync.Mutex
	m  map[string]capsule
}

func (c *capsuleCache) get(k string) (capsule, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cp, ok := c.m[k]
	return cp, ok
}

func (c *capsuleCache) put(k string, cp capsule) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]capsule{}
	}
	c.m[k] = cp
}

// chainTime is the time grants are judged by: the later of the clock and
// the head block's time, so a clock set back cannot stretch a grant past
// what the chain has already seen.
func (w *Wallet) chainTime() uint64 {
	now := uint64(w.opts.now().Unix())
	if w.chain != nil {
		if t := w.chain.ledger.HeadHeader().Time; t > now {
			return t
		}
	}
	return now
}

// keyedRecords returns the CIDs of the records a grant of this wallet's
// owner already carries keys for: in its capsules on the chain and in
// capsules submitted but not yet in a block.
func (w *Wallet) keyedRecords(ctx context.Context, g state.Grant) (map[string]bool, error) {
	caps, err := w.grantCapsules(ctx, g)
	if err != nil {
		return nil, err
	}
	keyed := map[string]bool{}
	for _, c := range caps {
		for _, r := range c.Records {
			keyed[r.CID] = true
		}
	}
	w.chain.keyMu.Lock()
	for c := range w.chain.keyPending[g.ID] {
		keyed[c] = true
	}
	w.chain.keyMu.Unlock()
	return keyed, nil
}

// KeyNewRecords keys the owner's records that fall inside an active read
// grant's scope but are not yet in its capsules to that grant's grantee,
// one GrantCapsule per grant. The wallet runs it after imports and as
// blocks arrive; it returns how many records it keyed.
func (w *Wallet) KeyNewRecords(ctx context.Context) (int, error) {
	if w.chain == nil {
		return 0, ErrNoChain
	}
	w.chain.keyRun.Lock() // one pass at a time, or two would key the same records
	defer w.chain.keyRun.Unlock()
	grants, err := w.chain.ledger.State().ActiveGrants(w.ChainKey(), w.chainTime())
	if err != nil {
		return 0, err
	}
	total := 0
	for _, g := range grants {
		if g.Actions&chain.ActionRead == 0 {
			continue
		}
		keyed, err := w.keyedRecords(ctx, g)
		if err != nil {
			return total, fmt.Errorf("wallet: grant %s: %w", g.ID, err)
		}
		recs, err := w.inScope(ctx, g.Scope)
		if err != nil {
			return total, err
		}
		var fresh []Record
		for _, r := range recs {
			if !keyed[r.CID] {
				fresh = append(fresh, r)
			}
		}
		if len(fresh) == 0 {
			continue
		}
		grantee, kem, err := w.clinicianKeys(g.Grantee)
		if err != nil {
			return total, err
		}
		capCID, err := w.putCapsule(ctx, grantee, kem, fresh)
		if err != nil {
			return total, err
		}
		w.chain.keyMu.Lock()
		if w.chain.keyPending[g.ID] == nil {
			w.chain.keyPending[g.ID] = map[string]bool{}
		}
		for _, r := range fresh {
			w.chain.keyPending[g.ID][r.CID] = true
		}
		w.chain.keyMu.Unlock()
		if err := w.submitPatiently(ctx, chain.GrantCapsule{Grant: g.ID, Capsule: capCID}); err != nil {
			return total, err
		}
		w.log.Debug("wallet: keyed new records to a grant", "grant", g.ID, "records", len(fresh))
		total += len(fresh)
	}
	return total, nil
}

// freshKeysAfterEnded re-encrypts, under a fresh data key, each record
// whose current key was released under a grant of the owner's that has
// since ended (revoked or expired), and returns recs with their new CIDs.
// What the old grantee read cannot be recalled, but a later share does not
// hand out the key it already holds.
func (w *Wallet) freshKeysAfterEnded(ctx context.Context, recs []Record) ([]Record, error) {
	grants, err := w.chain.ledger.State().GrantsBy(w.ChainKey())
	if err != nil {
		return nil, err
	}
	now := w.chainTime()
	released := map[string]bool{}
	for _, g := range grants {
		if !g.Revoked && now < g.Expiry || g.Actions&chain.ActionRead == 0 {
			continue
		}
		caps, err := w.grantCapsules(ctx, g)
		if err != nil {
			w.log.Warn("wallet: capsule of an ended grant unreadable; its records keep their keys", "grant", g.ID, "err", err)
			continue
		}
		for _, c := range caps {
			for _, r := range c.Records {
				released[r.CID] = true
			}
		}
	}
	out := make([]Record, 0, len(recs))
	for _, rec := range recs {
		if released[rec.CID] {
			var err error
			if rec, err = w.rekey(ctx, rec); err != nil {
				return nil, err
			}
		}
		out = append(out, rec)
	}
	return out, nil
}

// rekey re-encrypts a record under a fresh data key and points the catalog
// at the new ciphertext. The old ciphertext stays pinned: grants still
// active may name it.
func (w *Wallet) rekey(ctx context.Context, rec Record) (Record, error) {
	_, plain, err := w.Open(ctx, rec.ID)
	if err != nil {
		return rec, err
	}
	defer plain.Close()
	c, err := w.encryptAndStore(ctx, plain)
	if err != nil {
		return rec, fmt.Errorf("wallet: re-encrypt record %s: %w", rec.ID, err)
	}
	if err := w.store.Pin(ctx, c, pinLabel(rec.ID)+":"+c.String()); err != nil {
		return rec, err
	}
	if err := w.catalog.SetCID(ctx, rec.ID, c.String()); err != nil {
		return rec, err
	}
	w.log.Debug("wallet: record re-encrypted under a fresh key", "record", rec.ID, "old", rec.CID, "new", c)
	rec.CID = c.String()
	return rec, nil
}
