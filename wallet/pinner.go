package wallet

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ipfs/go-cid"
	"golang.org/x/sync/errgroup"

	"github.com/healthwallet/healthwallet/chain/ledger"
	"github.com/healthwallet/healthwallet/internal/atomicfile"
	"github.com/healthwallet/healthwallet/ipfs"
)

// Pinning, for a clinic node (ChainConfig.PinQuota > 0).
const (
	pinCursorFile = "pin-cursor" // in the chain directory: last block scanned
	pinRescan     = 32           // blocks below the cursor rescanned each round (reorgs)
	pinTimeout    = 20 * time.Second
	pinRetryEvery = 30 * time.Second
	pinMaxRetries = 10_000
)

// pinner keeps every ciphertext and key capsule the chain references pinned
// in the wallet's store, up to a quota, so that records stay available
// while their owners' machines are off. It pins ciphertext only: it holds
// no key to any of it.
type pinner struct {
	store  *ipfs.Node
	ledger *ledger.Ledger
	quota  int64
	dir    string
	log    *slog.Logger

	mu    sync.Mutex
	stats PinStats
}

// PinStats counts a clinic node's pinning.
type PinStats struct {
	Pinned      int // roots pinned since start
	OverQuota   int // references left unpinned because the quota is full
	Unavailable int // references no peer served yet (retried)
	Through     uint64
}

func (p *pinner) run(ctx context.Context) {
	cursor := p.loadCursor()
	retry := map[cid.Cid]bool{}
	tick := time.NewTicker(pinRetryEvery)
	defer tick.Stop()
	for {
		changed := p.ledger.Changed()
		head := p.ledger.Head().Number
		from := uint64(1)
		if cursor > pinRescan {
			from = cursor - pinRescan
		}
		if head >= from {
			refs, err := p.ledger.State().References(ctx, from, head)
			if err != nil {
				if ctx.Err() != nil {
					return
				}
				p.log.Warn("pinner: listing references", "err", err)
			}
			for _, r := range refs {
				if c, err := cid.Cast(r.CID.Bytes()); err == nil {
					retry[c] = r.Capsule
				}
			}
			cursor = head
			p.saveCursor(cursor)
		}
		p.pinAll(ctx, retry)
		if ctx.Err() != nil {
			return
		}
		p.mu.Lock()
		p.stats.Through = cursor
		p.mu.Unlock()
		select {
		case <-changed:
		case <-tick.C:
		case <-ctx.Done():
			return
		}
	}
}

// pinParallel bounds the pins in flight: bitswap paces the messages to one
// peer (tens of milliseconds apart), so one fetch at a time would leave a
// grant of a hundred records minutes behind its block.
const pinParallel = 16

// pinAll pins what todo lists (CID → whether it is sealed keys), removing
// each one pinned or given up on. Keys go first: a clinician can list what
// a grant shares as soon as its capsule is available.
func (p *pinner) pinAll(ctx context.Context, todo map[cid.Cid]bool) {
	if len(todo) == 0 {
		return
	}
	pins := p.store.Pins()
	for c := range todo {
		if _, ok := pins[c]; ok {
			delete(todo, c)
		}
	}
	if len(todo) == 0 {
		return
	}
	// Stat walks the whole store: once a round. The quota is checked
	// against the size at the start of the round.
	st, err := p.store.Stat(ctx)
	if err != nil {
		if ctx.Err() == nil {
			p.log.Warn("pinner: store stat", "err", err)
		}
		return
	}
	used := st.BlockBytes
	order := make([]cid.Cid, 0, len(todo))
	for c := range todo {
		order = append(order, c)
	}
	slices.SortFunc(order, func(a, b cid.Cid) int {
		if todo[a] != todo[b] {
			if todo[a] {
				return -1
			}
			return 1
		}
		return strings.Compare(a.KeyString(), b.KeyString())
	})
	var over, unavailable, pinned int
	if used >= p.quota {
		over = len(order) // kept: pinned once the operator raises the quota
		order = nil
	}
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(pinParallel)
	for _, c := range order {
		g.Go(func() error {
			pctx, cancel := context.WithTimeout(gctx, pinTimeout)
			err := p.store.Pin(pctx, c, "chain:"+c.String())
			cancel()
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				pinned++
				delete(todo, c)
				p.mu.Lock()
				p.stats.Pinned++
				p.mu.Unlock()
			case errors.Is(err, ipfs.ErrCorruptBlock):
				p.log.Warn("pinner: refusing", "cid", c, "err", err)
				delete(todo, c)
			default:
				unavailable++
			}
			return nil
		})
	}
	g.Wait()
	if ctx.Err() != nil {
		return
	}
	for len(todo) > pinMaxRetries {
		for c := range todo {
			delete(todo, c)
			break
		}
	}
	p.mu.Lock()
	p.stats.OverQuota = over
	p.stats.Unavailable = unavailable
	p.mu.Unlock()
	p.log.Debug("pinner: round", "pinned", pinned, "over quota", over, "unavailable", unavailable, "bytes at start", used)
}

func (p *pinner) loadCursor() uint64 {
	b, err := os.ReadFile(filepath.Join(p.dir, pinCursorFile))
	if err != nil {
		return 0
	}
	n, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
	if err != nil {
		return 0 // rescan everything: pinning is idempotent
	}
	return n
}

func (p *pinner) saveCursor(n uint64) {
	if err := atomicfile.WriteFile(filepath.Join(p.dir, pinCursorFile), []byte(fmt.Sprintf("%d\n", n)), 0o600); err != nil {
		p.log.Warn("pinner: saving cursor", "err", err)
	}
}

func (p *pinner) snapshot() PinStats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stats
}
