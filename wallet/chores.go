package wallet

import (
	"context"
	"time"
)

// choreInterval is how often the background chores run when nothing wakes
// them: a safety net for a wake-up lost to a crash or an error.
const choreInterval = 30 * time.Second

// runChores does a wallet's background work on a chain until ctx ends:
// keying new records to active grants, and, on a clinic's node, publishing
// its sealing key and releasing emergency key shares. It runs after every
// block, after imports and every choreInterval.
func (w *Wallet) runChores(ctx context.Context) {
	tick := time.NewTicker(choreInterval)
	defer tick.Stop()
	for {
		changed := w.chain.ledger.Changed()
		w.chores(ctx)
		select {
		case <-ctx.Done():
			return
		case <-changed:
		case <-w.chain.wake:
		case <-tick.C:
		}
	}
}

func (w *Wallet) chores(ctx context.Context) {
	if n, err := w.KeyNewRecords(ctx); err != nil && ctx.Err() == nil {
		w.log.Warn("wallet: keying new records to grants", "err", err)
	} else if n > 0 {
		w.log.Debug("wallet: new records keyed to active grants", "records", n)
	}
	if err := w.serveEmergencies(ctx); err != nil && ctx.Err() == nil {
		w.log.Warn("wallet: emergency key shares", "err", err)
	}
	if err := w.declineUnverified(ctx); err != nil && ctx.Err() == nil {
		w.log.Warn("wallet: policy on unverified requests", "err", err)
	}
}

// wakeChores asks the chores to run soon.
func (w *Wallet) wakeChores() {
	if w.chain == nil {
		return
	}
	select {
	case w.chain.wake <- struct{}{}:
	default:
	}
}
