package app

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/healthwallet/healthwallet/chain/ledger"
	"github.com/healthwallet/healthwallet/wallet"
)

// session is an unlocked wallet and the background work that lives as long
// as it: dialling the network's members, sealing when the key is a signer,
// and watching the chain for the screens. Lock or exit ends it.
type session struct {
	w   *wallet.Wallet
	net *wallet.Network // nil: not on a network

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu       sync.Mutex
	closing  bool // no new background work once set
	status   chainView
	watchers []func(chainView)
	closers  []func()
}

// onClose registers f to run when the session ends (lock or exit), after
// its background work stopped and before the wallet closes: for cleaning
// up what the session made, such as temporary files.
func (s *session) onClose(f func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closers = append(s.closers, f)
}

// chainView is what the screens know of the network, refreshed by the
// session's poller.
type chainView struct {
	Joined    bool
	Connected bool // at least one member node answered
	Err       error
	Status    wallet.ChainStatus
	Roles     wallet.Roles
}

func startSession(u *UI, w *wallet.Wallet, n *wallet.Network) *session {
	ctx, cancel := context.WithCancel(u.ctx)
	s := &session{w: w, net: n, ctx: ctx, cancel: cancel}
	s.status.Joined = n != nil
	if _, err := w.ChainStatus(); err != nil {
		s.status.Joined = false
		return s
	}
	interval := u.cfg.StatusInterval
	if interval <= 0 {
		interval = time.Second
	}
	s.wg.Go(func() { s.connect(ctx) })
	s.wg.Go(func() {
		if err := w.RunSealer(ctx); err != nil && ctx.Err() == nil {
			slog.Warn("sealer stopped", "err", err)
		}
	})
	s.wg.Go(func() { s.poll(ctx, interval) })
	return s
}

// connect dials the members, retrying with backoff until one answers.
func (s *session) connect(ctx context.Context) {
	if s.net == nil {
		return
	}
	wait := time.Second
	for {
		_, err := s.w.ConnectMembers(ctx, s.net.Peers)
		s.mu.Lock()
		s.status.Connected = err == nil
		s.status.Err = err
		s.mu.Unlock()
		if err == nil || ctx.Err() != nil {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = min(2*wait, 30*time.Second)
	}
}

// poll refreshes the chain view and tells the watchers when the head, the
// peers, the connection or the wallet's roles changed.
func (s *session) poll(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	type seen struct {
		head      ledger.Tip
		peers     int
		connected bool
		roles     string
	}
	var last seen
	first := true
	for {
		st, err := s.w.ChainStatus()
		roles, rerr := s.w.Roles()
		if err == nil {
			err = rerr
		}
		s.mu.Lock()
		s.status.Status, s.status.Roles = st, roles
		if err != nil {
			s.status.Err = err
		}
		view := s.status
		watchers := append([]func(chainView){}, s.watchers...)
		s.mu.Unlock()
		now := seen{st.Head, st.Peers, view.Connected, roleKey(view)}
		if first || now != last {
			first, last = false, now
			for _, f := range watchers {
				f(view)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// view is the latest chain view.
func (s *session) view() chainView {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.status
}

// watch calls f (from a background goroutine) whenever the chain's head or
// the peer count changes, and once soon after. Use u.do inside f to touch
// widgets. Watchers live as long as the session.
func (s *session) watch(f func(chainView)) {
	s.mu.Lock()
	s.watchers = append(s.watchers, f)
	s.mu.Unlock()
	s.spawn(func() { f(s.view()) })
}

// spawn runs f in a goroutine the session owns: closing the session
// cancels s.ctx and waits for f to return before the wallet closes. It
// does nothing once the session is closing.
func (s *session) spawn(f func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return
	}
	s.wg.Go(f)
}

// background runs f, a screen's wallet work, as the current session's: it
// ends (its calls see the session's context cancelled) before the wallet
// closes at lock or exit. Without a session f does not run.
func (u *UI) background(f func()) {
	if s := u.session(); s != nil {
		s.spawn(f)
	}
}

func (s *session) close() {
	s.mu.Lock()
	s.closing = true
	s.mu.Unlock()
	s.cancel()
	s.wg.Wait()
	s.mu.Lock()
	closers := s.closers
	s.closers = nil
	s.mu.Unlock()
	for _, f := range closers {
		f()
	}
	s.w.Close()
}
