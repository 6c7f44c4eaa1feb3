package wallet

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/healthwallet/healthwallet/chain"
	"github.com/healthwallet/healthwallet/chain/ledger"
	"github.com/healthwallet/healthwallet/chain/p2p"
	"github.com/healthwallet/healthwallet/ipfs"
)

// chainDir holds the wallet's copy of the chain (block store and state).
const chainDir = "chain"

// ErrNoChain: the wallet was opened without Options.Chain.
var ErrNoChain = errors.New("wallet: not joined to a consent chain")

// ChainConfig joins a wallet to a consent chain: it keeps a full copy
// (every block verified) under the wallet's directory and gossips and syncs
// it over the wallet's network host.
type ChainConfig struct {
	Genesis *chain.Genesis
	// SyncInterval is how often peers' heads are polled; 0 means the
	// block period.
	SyncInterval time.Duration
	// PinQuota, if positive, makes the wallet pin every ciphertext and key
	// capsule the chain references until its store holds this many bytes:
	// a clinic node's job. Patients' wallets leave it 0.
	PinQuota int64
}

// membership is a wallet's place on a chain.
type membership struct {
	ledger   *ledger.Ledger
	node     *p2p.Node
	pinner   *pinner    // nil: not pinning
	submitMu sync.Mutex // one nonce at a time
	runCtx   context.Context
	cancel   context.CancelFunc
	wg       sync.WaitGroup

	capsules   capsuleCache
	keyRun     sync.Mutex                     // one KeyNewRecords pass at a time
	keyMu      sync.Mutex                     // guards keyPending
	keyPending map[chain.Hash]map[string]bool // grant → CIDs keyed in capsules not yet in a block
	wake       chan struct{}                  // chores: something changed locally

	releaseMu sync.Mutex
	released  map[chain.Hash]bool // emergency accesses whose share this node submitted (zero hash: its clinic key)
}

// releasePending reports whether this node already submitted its release
// for access, and marks it submitted if not.
func (m *membership) releasePending(access chain.Hash) bool {
	m.releaseMu.Lock()
	defer m.releaseMu.Unlock()
	if m.released == nil {
		m.released = map[chain.Hash]bool{}
	}
	if m.released[access] {
		return true
	}
	m.released[access] = true
	return false
}

// releaseDone forgets a submission that failed, so the next pass retries.
func (m *membership) releaseDone(access chain.Hash) {
	m.releaseMu.Lock()
	defer m.releaseMu.Unlock()
	delete(m.released, access)
}

func joinChain(ctx context.Context, dir string, store *ipfs.Node, cfg ChainConfig, now func() time.Time, log *slog.Logger) (*membership, error) {
	if !store.Online() {
		return nil, fmt.Errorf("wallet: a chain needs the network (Options.Network)")
	}
	l, err := ledger.Open(ctx, ledger.Config{Dir: filepath.Join(dir, chainDir), Genesis: cfg.Genesis, Now: now, Logger: log})
	if err != nil {
		return nil, fmt.Errorf("wallet: %w", err)
	}
	n, err := p2p.New(ctx, p2p.Config{Host: store.Host(), Ledger: l, SyncInterval: cfg.SyncInterval, Now: now, Logger: log})
	if err != nil {
		l.Close()
		return nil, fmt.Errorf("wallet: %w", err)
	}
	m := &membership{ledger: l, node: n, keyPending: map[chain.Hash]map[string]bool{}, wake: make(chan struct{}, 1)}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	m.runCtx, m.cancel = runCtx, cancel
	if cfg.PinQuota > 0 {
		m.pinner = &pinner{store: store, ledger: l, quota: cfg.PinQuota, dir: filepath.Join(dir, chainDir), log: log}
		m.wg.Go(func() { m.pinner.run(runCtx) })
	}
	return m, nil
}

func (m *membership) close() error {
	m.cancel()
	m.wg.Wait()
	return errors.Join(m.node.Close(), m.ledger.Close())
}

// Ledger is the wallet's verified copy of the chain, for queries; nil if
// the wallet is not on a chain.
func (w *Wallet) Ledger() *ledger.Ledger {
	if w.chain == nil {
		return nil
	}
	return w.chain.ledger
}

// ChainKey is the key the wallet signs chain transactions and seals blocks
// with: its identity's signing key.
func (w *Wallet) ChainKey() chain.PublicKey { return chain.PublicKey(w.id.Public().SigningKey) }

// RunSealer seals blocks with the wallet's key while it is one of the
// chain's signers (a clinic's node), and waits while it is not, until ctx
// ends.
func (w *Wallet) RunSealer(ctx context.Context) error {
	if w.chain == nil {
		return ErrNoChain
	}
	return w.chain.node.RunSealer(ctx, w.id.SigningKey())
}

// ChainStatus is what `healthwallet status` and a clinic's operator see of
// the chain.
type ChainStatus struct {
	ChainID  string
	Head     ledger.Tip
	Signers  []chain.PublicKey
	IsSigner bool
	Peers    int
	Pending  int // transactions in the mempool
	Stats    p2p.Stats
	Pinning  *PinStats // nil unless the wallet pins for the chain
}

// ChainStatus reports the chain as this wallet sees it.
func (w *Wallet) ChainStatus() (ChainStatus, error) {
	if w.chain == nil {
		return ChainStatus{}, ErrNoChain
	}
	l := w.chain.ledger
	st := ChainStatus{ChainID: l.ChainID(), Head: l.Head(), Signers: l.Signers(), Pending: l.Pool().Len(), Stats: w.chain.node.Stats()}
	for _, k := range st.Signers {
		if k == w.ChainKey() {
			st.IsSigner = true
		}
	}
	st.Peers = len(w.store.Host().Network().Peers())
	if w.chain.pinner != nil {
		ps := w.chain.pinner.snapshot()
		st.Pinning = &ps
	}
	return st, nil
}

// SubmitTx verifies a signed transaction against the chain, pools it and
// gossips it.
func (w *Wallet) SubmitTx(ctx context.Context, tx *chain.Tx) error {
	if w.chain == nil {
		return ErrNoChain
	}
	return w.chain.node.SubmitTx(ctx, tx)
}

// ConnectPeer dials a peer (a multiaddr ending in /p2p/ID) and syncs the
// chain from it.
func (w *Wallet) ConnectPeer(ctx context.Context, addr string) error {
	if err := w.store.Connect(ctx, addr); err != nil {
		return err
	}
	if w.chain == nil {
		return nil
	}
	ai, err := peer.AddrInfoFromString(addr)
	if err != nil {
		return err
	}
	return w.chain.node.SyncWith(ctx, ai.ID)
}

// Submit signs body with the wallet's key and the next free nonce (after
// the chain's and this node's pending ones) and submits it.
func (w *Wallet) Submit(ctx context.Context, body chain.Body) (*chain.Tx, error) {
	if w.chain == nil {
		return nil, ErrNoChain
	}
	w.chain.submitMu.Lock()
	defer w.chain.submitMu.Unlock()
	l := w.chain.ledger
	next, err := l.State().Nonce(w.ChainKey())
	if err != nil {
		return nil, fmt.Errorf("wallet: submit: %w", err)
	}
	tx, err := chain.Sign(w.id.SigningKey(), l.ChainID(), l.Pool().NextNonce(w.ChainKey(), next), body)
	if err != nil {
		return nil, fmt.Errorf("wallet: submit: %w", err)
	}
	if err := w.chain.node.SubmitTx(ctx, tx); err != nil {
		return nil, fmt.Errorf("wallet: submit %v: %w", body.Type(), err)
	}
	return tx, nil
}

// Addrs returns the wallet node's listen addresses, each ending in
// /p2p/<peer ID>, for peers to dial (none when offline).
func (w *Wallet) Addrs() []string {
	var out []string
	for _, a := range w.store.Addrs() {
		out = append(out, a.String())
	}
	return out
}

// WaitSettled waits until every transaction this wallet submitted is in a
// block of the canonical chain that a connected peer has adopted too, so
// that the wallet can go offline without taking the news with it; or until
// ctx ends.
//
// A peer merely as far along is not enough: a signer's own block may lose a
// fork race to another signer's block of the same height, and then its
// transactions are back in the pool, waiting for a later block. So a peer
// ahead is synced from, and the check starts again.
func (w *Wallet) WaitSettled(ctx context.Context) error {
	if w.chain == nil {
		return ErrNoChain
	}
	l := w.chain.ledger
	for {
		if err := l.WaitFor(ctx, func(ledger.Tip) bool {
			next, err := l.State().Nonce(w.ChainKey())
			return err == nil && l.Pool().NextNonce(w.ChainKey(), next) == next
		}); err != nil {
			return err
		}
		mine := l.Head()
		for _, p := range w.store.Host().Network().Peers() {
			st, err := w.chain.node.PeerStatus(ctx, p)
			if err != nil || st.Genesis != l.GenesisHash() {
				continue
			}
			if st.Head == mine.Hash {
				return nil
			}
			if st.TotalDifficulty >= mine.TotalDifficulty {
				// It may hold a branch without our block: adopt its chain
				// and look again.
				if err := w.chain.node.SyncWith(ctx, p); err != nil && ctx.Err() == nil {
					w.log.Debug("wallet: settle: sync", "peer", p, "err", err)
				}
			}
		}
		if l.Head() != mine {
			continue // the head moved: check our transactions again at once
		}
		t := time.NewTimer(100 * time.Millisecond)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("wallet: no peer has block %d yet: %w", mine.Number, ctx.Err())
		}
	}
}
