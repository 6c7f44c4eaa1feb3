package wallet

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/healthwallet/healthwallet/chain"
	"github.com/healthwallet/healthwallet/chain/state"
	"github.com/healthwallet/healthwallet/wallet/identity"
)

// What a clinician's and a clinic's screens show, read from the chain here
// so that the CLI can show the same: the patients whose access a clinician
// holds, the clinicians a clinic registered, and the signer votes in
// progress.

// PatientAccess is one patient's access in force to this wallet's owner
// (a clinician's view): every active grant from that patient, together.
type PatientAccess struct {
	Patient chain.PublicKey
	ID      identity.ID
	Grants  []state.Grant // active, not revoked, in block order
	// Read and Write: some grant lets the owner read the patient's records
	// in its scope, or add records (lab results, notes) for the patient.
	Read, Write bool
	Categories  []chain.Category // the union of the grants' categories
	RecordIDs   []string         // the union of the grants' named records
	Since       time.Time        // the time of the first grant's block
	Expires     time.Time        // when the last grant ends; zero: never
}

// GrantsToMe lists the patients whose grants to this wallet's owner are
// active at the chain's time (neither revoked nor expired), in the order
// they first granted.
func (w *Wallet) GrantsToMe(ctx context.Context) ([]PatientAccess, error) {
	if w.chain == nil {
		return nil, ErrNoChain
	}
	st := w.chain.ledger.State()
	grants, err := st.GrantsTo(w.ChainKey(), w.chainTime())
	if err != nil {
		return nil, fmt.Errorf("wallet: grants to me: %w", err)
	}
	var out []PatientAccess
	index := map[chain.PublicKey]int{}
	never := map[chain.PublicKey]bool{}
	for _, g := range grants {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		i, ok := index[g.Patient]
		if !ok {
			i = len(out)
			index[g.Patient] = i
			pa := PatientAccess{Patient: g.Patient, ID: identity.IDFromSigningKey(g.Patient[:])}
			if t, err := st.BlockTime(g.Block); err == nil {
				pa.Since = time.Unix(int64(t), 0)
			}
			out = append(out, pa)
		}
		pa := &out[i]
		pa.Grants = append(pa.Grants, g)
		pa.Read = pa.Read || g.Actions&chain.ActionRead != 0
		pa.Write = pa.Write || g.Actions&chain.ActionWrite != 0
		for _, c := range g.Scope.Categories {
			if !slices.Contains(pa.Categories, c) {
				pa.Categories = append(pa.Categories, c)
			}
		}
		for _, id := range g.Scope.RecordIDs {
			if !slices.Contains(pa.RecordIDs, id) {
				pa.RecordIDs = append(pa.RecordIDs, id)
			}
		}
		switch {
		case never[g.Patient]:
		case g.Expiry >= 1<<63-1: // SQLite keeps "never" as MaxInt64 (see package state)
			never[g.Patient] = true
			pa.Expires = time.Time{}
		default:
			if e := time.Unix(int64(g.Expiry), 0); e.After(pa.Expires) {
				pa.Expires = e
			}
		}
	}
	for i := range out {
		slices.Sort(out[i].Categories)
		slices.Sort(out[i].RecordIDs)
	}
	return out, nil
}

// RevokeClinician (a clinic's wallet, while its key is a block signer)
// withdraws the registration of a clinician it registered. The clinician's
// key stays revoked for good: re-registering needs a new key.
func (w *Wallet) RevokeClinician(ctx context.Context, clinician chain.PublicKey) (*chain.Tx, error) {
	if w.chain == nil {
		return nil, ErrNoChain
	}
	cl, err := w.chain.ledger.State().Clinician(clinician)
	switch {
	case errors.Is(err, state.ErrNotFound) || err == nil && cl.Revoked:
		return nil, fmt.Errorf("%w: %s", ErrNotClinician, identity.IDFromSigningKey(clinician[:]))
	case err != nil:
		return nil, fmt.Errorf("wallet: revoke clinician: %w", err)
	case cl.Clinic != w.ChainKey():
		return nil, fmt.Errorf("wallet: revoke clinician %s: %w: another clinic registered them",
			identity.IDFromSigningKey(clinician[:]), ErrNotRegistrar)
	}
	return w.Submit(ctx, chain.ClinicianRevoke{Clinician: clinician})
}

// ErrNotRegistrar: only the clinic that registered a clinician may revoke
// the registration.
var ErrNotRegistrar = errors.New("not the registering clinic")

// RegisteredClinician is a clinician registration on the chain.
type RegisteredClinician struct {
	state.Clinician
	ID         identity.ID
	Registered time.Time // the time of the registration's block
}

// ClinicianRegistrations lists the clinicians this wallet's key registered
// (revoked ones too, marked), in chain order. The chain's state has no index
// of registrations by clinic, so it reads the canonical blocks' transactions:
// a cost that grows with the chain, for a clinic's occasional look.
func (w *Wallet) ClinicianRegistrations(ctx context.Context) ([]RegisteredClinician, error) {
	if w.chain == nil {
		return nil, ErrNoChain
	}
	l := w.chain.ledger
	st := l.State()
	me := w.ChainKey()
	var out []RegisteredClinician
	head := l.Head().Number
	for n := uint64(1); n <= head; n++ {
		blk, err := w.canonicalBlock(ctx, n)
		if err != nil {
			return nil, err
		}
		for _, tx := range blk.Txs {
			reg, ok := tx.Body().(chain.ClinicianRegister)
			if !ok || tx.Sender() != me {
				continue
			}
			cl, err := st.Clinician(reg.Clinician)
			if err != nil {
				// A reorg between reading the block and the state: the
				// next look sees a consistent chain.
				continue
			}
			out = append(out, RegisteredClinician{Clinician: cl, ID: identity.IDFromSigningKey(reg.Clinician[:]),
				Registered: time.Unix(int64(blk.Header.Time), 0)})
		}
	}
	return out, nil
}

func (w *Wallet) canonicalBlock(ctx context.Context, n uint64) (*chain.Block, error) {
	l := w.chain.ledger
	h, err := l.CanonicalHash(n)
	if err != nil {
		return nil, fmt.Errorf("wallet: block %d: %w", n, err)
	}
	blk, err := l.Block(ctx, h)
	if err != nil {
		return nil, fmt.Errorf("wallet: block %d: %w", n, err)
	}
	return blk, nil
}

// SignerVote is a proposal to add or drop a signer (a clinic) that the
// signers are voting on and that has not been decided yet.
type SignerVote struct {
	Target    chain.PublicKey
	ID        identity.ID
	Name      string // the target's name in the genesis, if it has one
	Authorize bool   // add (true) or drop (false)
	For       []chain.PublicKey
	Needed    int // votes needed: a strict majority of the signers
}

// maxVoteScan bounds how many recent blocks SignerVotes reads: votes older
// than that (within a long epoch) are left out of the count shown.
const maxVoteScan = 4096

// SignerVotes lists the undecided signer proposals carried in the blocks
// since the last checkpoint (Clique resets votes there): each signer's
// latest vote per target, from signers still in the set, on targets whose
// status the vote would still change.
func (w *Wallet) SignerVotes(ctx context.Context) ([]SignerVote, error) {
	if w.chain == nil {
		return nil, ErrNoChain
	}
	l := w.chain.ledger
	signers := l.Signers()
	head := l.Head().Number
	epoch := uint64(30000)
	if g := w.opts.Chain.Genesis; g != nil && g.Epoch > 0 {
		epoch = g.Epoch
	}
	from := head - head%epoch + 1
	if head >= maxVoteScan && from < head-maxVoteScan+1 {
		from = head - maxVoteScan + 1
	}
	type ballot struct {
		authorize bool
		order     int
	}
	votes := map[chain.PublicKey]map[chain.PublicKey]ballot{} // target → voter → ballot
	var order []chain.PublicKey
	for n := from; n <= head && n > 0; n++ {
		blk, err := w.canonicalBlock(ctx, n)
		if err != nil {
			return nil, err
		}
		v := blk.Header.Vote
		if v == nil {
			continue
		}
		if votes[v.Target] == nil {
			votes[v.Target] = map[chain.PublicKey]ballot{}
			order = append(order, v.Target)
		}
		votes[v.Target][blk.Header.Signer] = ballot{authorize: v.Authorize, order: int(n)}
	}
	var out []SignerVote
	for _, target := range order {
		isSigner := slices.Contains(signers, target)
		for _, authorize := range []bool{true, false} {
			if authorize == isSigner {
				continue // already decided: the target is (or is not) a signer
			}
			sv := SignerVote{Target: target, ID: identity.IDFromSigningKey(target[:]), Name: w.ClinicName(target),
				Authorize: authorize, Needed: len(signers)/2 + 1}
			for voter, b := range votes[target] {
				if b.authorize == authorize && slices.Contains(signers, voter) {
					sv.For = append(sv.For, voter)
				}
			}
			if len(sv.For) > 0 {
				slices.SortFunc(sv.For, func(a, b chain.PublicKey) int { return slices.Compare(a[:], b[:]) })
				out = append(out, sv)
			}
		}
	}
	return out, nil
}

// PinQuota is how many bytes of the chain's content the wallet pins for
// the network (a clinic node's job); 0 when it pins nothing.
func (w *Wallet) PinQuota() int64 {
	if w.opts.Chain == nil {
		return 0
	}
	return w.opts.Chain.PinQuota
}
