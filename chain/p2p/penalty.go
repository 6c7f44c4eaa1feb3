package p2p

import (
	"math"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
)

// Penalties, in points. A peer at BanThreshold is banned.
const (
	PenaltyInvalid   = 20  // an invalid block or transaction
	PenaltyGarbage   = 50  // bytes that do not decode
	BanThreshold     = 100 // disconnect, blacklist, refuse streams
	BanDuration      = 30 * time.Minute
	penaltyHalfLife  = 10 * time.Minute
	penaltyScoreUnit = 1.0 // gossipsub app-specific score per point (negative)
)

// penalties tracks misbehaviour per peer. Points decay with a half-life so
// that a peer that misbehaved once long ago is forgiven.
type penalties struct {
	mu    sync.Mutex
	now   func() time.Time
	peers map[peer.ID]*record
}

type record struct {
	points float64
	at     time.Time
	banned time.Time // zero: not banned
}

func newPenalties(now func() time.Time) *penalties {
	return &penalties{now: now, peers: map[peer.ID]*record{}}
}

func (p *penalties) decayed(r *record, now time.Time) float64 {
	age := now.Sub(r.at)
	if age <= 0 {
		return r.points
	}
	return r.points * math.Exp2(-age.Seconds()/penaltyHalfLife.Seconds())
}

// add charges id with points and reports whether this crossed the ban
// threshold.
func (p *penalties) add(id peer.ID, points float64) (banned bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	r := p.peers[id]
	if r == nil {
		r = &record{}
		p.peers[id] = r
	}
	r.points = p.decayed(r, now) + points
	r.at = now
	if r.points >= BanThreshold && r.banned.IsZero() {
		r.banned = now
		return true
	}
	return false
}

// points returns id's current points.
func (p *penalties) points(id peer.ID) float64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	r := p.peers[id]
	if r == nil {
		return 0
	}
	return p.decayed(r, p.now())
}

// isBanned reports whether id is banned now.
func (p *penalties) isBanned(id peer.ID) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	r := p.peers[id]
	if r == nil || r.banned.IsZero() {
		return false
	}
	if p.now().Sub(r.banned) > BanDuration {
		r.banned = time.Time{}
		return false
	}
	return true
}
