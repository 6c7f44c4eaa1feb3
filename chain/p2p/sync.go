package p2p

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
	multistream "github.com/multiformats/go-multistream"

	"github.com/healthwallet/healthwallet/chain"
	"github.com/healthwallet/healthwallet/chain/clique"
	"github.com/healthwallet/healthwallet/chain/ledger"
)

// streamTimeout bounds one request and its response.
const streamTimeout = 30 * time.Second

// ErrBehind: the peer's head is not better than ours; nothing to sync.
var errNothingToSync = errors.New("p2p: peer has nothing better")

func (n *Node) serveSync(s network.Stream) {
	defer s.Close()
	p := s.Conn().RemotePeer()
	if n.penalties.isBanned(p) {
		s.Reset()
		return
	}
	s.SetDeadline(time.Now().Add(streamTimeout))
	r := bufio.NewReader(s)
	b, err := readFrame(r, maxRequest)
	if err != nil {
		if errors.Is(err, ErrGarbage) {
			n.penalise(p, PenaltyGarbage, err)
		}
		s.Reset()
		return
	}
	req, err := decodeRequest(b)
	if err != nil {
		n.penalise(p, PenaltyGarbage, err)
		s.Reset()
		return
	}
	var resp []byte
	switch req.kind {
	case kindStatus:
		resp = n.status().encode()
	case kindBlocks:
		ctx, cancel := context.WithTimeout(context.Background(), streamTimeout)
		raw, err := n.ledger.CanonicalRange(ctx, req.from, int(req.max), MaxBatchBytes)
		cancel()
		if err != nil {
			n.log.Warn("p2p: serving blocks", "from", req.from, "err", err)
			s.Reset()
			return
		}
		resp = encodeBatch(raw)
	case kindPool:
		txs := n.ledger.Pool().Txs(MaxBatchTxs, MaxBatchBytes)
		raw := make([][]byte, len(txs))
		for i, tx := range txs {
			raw[i] = tx.Encode()
		}
		resp = encodeBatch(raw)
	}
	w := bufio.NewWriter(s)
	if err := writeFrame(w, resp); err == nil {
		w.Flush()
	}
}

func (n *Node) status() Status {
	tip := n.ledger.Head()
	return Status{Genesis: n.ledger.GenesisHash(), Number: tip.Number, Head: tip.Hash, TotalDifficulty: tip.TotalDifficulty}
}

// call sends one request to p and returns the response frame.
func (n *Node) call(ctx context.Context, p peer.ID, req request, limit int) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, streamTimeout)
	defer cancel()
	s, err := n.host.NewStream(network.WithNoDial(ctx, "sync"), p, protocol.ID(ProtocolID))
	if err != nil {
		return nil, err
	}
	defer s.Close()
	if dl, ok := ctx.Deadline(); ok {
		s.SetDeadline(dl)
	}
	if err := writeFrame(s, req.encode()); err != nil {
		s.Reset()
		return nil, err
	}
	s.CloseWrite()
	b, err := readFrame(bufio.NewReader(s), limit)
	if err != nil {
		s.Reset()
		return nil, err
	}
	return b, nil
}

// PeerStatus asks a peer for its genesis and head.
func (n *Node) PeerStatus(ctx context.Context, p peer.ID) (Status, error) {
	b, err := n.call(ctx, p, request{kind: kindStatus}, 256)
	if err != nil {
		return Status{}, err
	}
	return decodeStatus(b)
}

func (n *Node) fetch(ctx context.Context, p peer.ID, from uint64) ([]*chain.Block, error) {
	b, err := n.call(ctx, p, request{kind: kindBlocks, from: from, max: MaxBatchBlocks}, maxFrame)
	if err != nil {
		return nil, err
	}
	return decodeBlocks(b)
}

// pullPool asks p for its pending transactions and admits them; it is
// how a node gets what was gossiped before it joined the mesh. An invalid
// one costs the peer as it would on gossip.
func (n *Node) pullPool(ctx context.Context, p peer.ID) error {
	b, err := n.call(ctx, p, request{kind: kindPool}, maxFrame)
	if err != nil {
		return err
	}
	txs, err := decodeTxs(b)
	if err != nil {
		return err
	}
	for _, tx := range txs {
		if err := n.ledger.AddTx(ctx, tx); errors.Is(err, ledger.ErrInvalidTx) {
			return err
		}
	}
	return nil
}

func (n *Node) syncLoop(ctx context.Context) {
	defer n.wg.Done()
	t := time.NewTicker(n.cfg.SyncInterval)
	defer t.Stop()
	round := 0
	for {
		select {
		case <-ctx.Done():
			return
		case r := <-n.syncNow:
			n.syncWith(ctx, r)
		case <-t.C:
			// Every peer's head, and one peer's pool in turn.
			peers := n.host.Network().Peers()
			for i, p := range peers {
				if ctx.Err() != nil {
					return
				}
				n.syncWith(ctx, syncRequest{peer: p, pool: i == round%len(peers)})
			}
			round++
		}
	}
}

// SyncWith syncs from one peer now; it returns when this node holds the
// peer's chain or the peer has nothing better.
func (n *Node) SyncWith(ctx context.Context, p peer.ID) error {
	return n.syncWith(ctx, syncRequest{peer: p})
}

func (n *Node) syncWith(ctx context.Context, r syncRequest) error {
	p := r.peer
	if p == n.host.ID() || n.penalties.isBanned(p) {
		return nil
	}
	n.syncMu.Lock()
	defer n.syncMu.Unlock()
	err := n.judge(ctx, p, n.syncFrom(ctx, p), r.orphan)
	if r.pool && ctx.Err() == nil {
		err = errors.Join(err, n.judge(ctx, p, n.pullPool(ctx, p), false))
	}
	return err
}

// judge penalises p for what err says it did, and passes err on.
func (n *Node) judge(ctx context.Context, p peer.ID, err error, orphan bool) error {
	var penalty float64
	switch {
	case err == nil:
		return nil
	case ctx.Err() != nil:
		return err
	case errors.Is(err, ErrGarbage):
		penalty = PenaltyGarbage
	case errors.Is(err, ledger.ErrInvalidBlock), errors.Is(err, ledger.ErrUnknownParent), errors.Is(err, ledger.ErrInvalidTx):
		penalty = PenaltyInvalid
	case errors.Is(err, errNothingToSync), errors.Is(err, errWrongChain), isUnsupported(err):
		if orphan {
			// It gossiped a block whose ancestry it cannot or will not
			// show: a made-up parent.
			penalty = PenaltyInvalid
		}
	}
	if penalty > 0 {
		n.penalise(p, penalty, fmt.Errorf("sync: %w", err))
	} else if !errors.Is(err, errNothingToSync) {
		n.log.Debug("p2p: sync", "peer", p, "err", err)
	}
	if errors.Is(err, errNothingToSync) {
		return nil
	}
	return err
}

var errWrongChain = errors.New("p2p: peer runs another chain")

func isUnsupported(err error) bool {
	return errors.Is(err, multistream.ErrNotSupported[protocol.ID]{}) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}

func (n *Node) syncFrom(ctx context.Context, p peer.ID) error {
	st, err := n.PeerStatus(ctx, p)
	if err != nil {
		return err
	}
	if st.Genesis != n.ledger.GenesisHash() {
		return fmt.Errorf("%w: genesis %s", errWrongChain, st.Genesis)
	}
	theirs := clique.ChainTip{Hash: st.Head, Number: st.Number, TotalDifficulty: st.TotalDifficulty}
	ours := n.ledger.Head()
	if !clique.Better(theirs, clique.ChainTip{Hash: ours.Hash, Number: ours.Number, TotalDifficulty: ours.TotalDifficulty}) {
		return errNothingToSync
	}
	if ok, _ := n.ledger.HasBlock(ctx, st.Head); ok {
		return nil // held on a side branch already; fork choice decided
	}
	// Find where the peer's chain joins ours: step back from our head
	// (doubling) until the first block fetched has a parent we hold.
	from := min(ours.Number, st.Number) + 1
	var back uint64
	var blks []*chain.Block
	for {
		if blks, err = n.fetch(ctx, p, from); err != nil {
			return err
		}
		if len(blks) > 0 {
			if blks[0].Header.Number != from {
				return fmt.Errorf("%w: asked for block %d, got %d", ErrGarbage, from, blks[0].Header.Number)
			}
			if ok, err := n.ledger.HasBlock(ctx, blks[0].Header.ParentHash); err != nil {
				return err
			} else if ok {
				break
			}
		}
		// Empty (its head moved back, or it lied) or not joining ours yet.
		if from == 1 && len(blks) == 0 {
			return fmt.Errorf("%w: claims head %d, serves no block 1", ledger.ErrInvalidBlock, st.Number)
		}
		if from == 1 {
			return fmt.Errorf("%w: block 1 does not follow our genesis", ledger.ErrInvalidBlock)
		}
		back = max(1, back*2)
		from -= min(back, from-1)
	}
	for {
		for i, blk := range blks {
			if i > 0 && blk.Header.ParentHash != blks[i-1].Hash() {
				return fmt.Errorf("%w: batch not a chain at block %d", ErrGarbage, blk.Header.Number)
			}
		}
		for rest := blks; len(rest) > 0; {
			k, err := n.ledger.InsertBlocks(ctx, rest)
			n.count(func(s *Stats) { s.BlocksSynced += k })
			switch {
			case err == nil:
				rest = nil
			case errors.Is(err, ledger.ErrKnownBlock):
				rest = rest[k+1:]
			default:
				return err
			}
		}
		last := blks[len(blks)-1].Header.Number
		if last >= st.Number {
			return nil
		}
		if blks, err = n.fetch(ctx, p, last+1); err != nil {
			return err
		}
		if len(blks) == 0 {
			return nil // the peer reorganised meanwhile; the next round retries
		}
		if blks[0].Header.Number != last+1 {
			return fmt.Errorf("%w: asked for block %d, got %d", ErrGarbage, last+1, blks[0].Header.Number)
		}
	}
}
