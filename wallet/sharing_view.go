package wallet

import (
	"context"
	"encoding/hex"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/healthwallet/healthwallet/chain"
	"github.com/healthwallet/healthwallet/chain/state"
	"github.com/healthwallet/healthwallet/wallet/identity"
)

// What a patient's sharing screens show, read from the chain here so that
// the CLI can show the same: who a key is (a clinician's role, the clinic
// that registered them and its name), the requests waiting with their
// senders, the grants in force, and the emergency authorization in force.

// Party is who a key on the chain is, in the terms a patient knows.
type Party struct {
	Key chain.PublicKey
	ID  identity.ID
	// Clinician is set for a registered clinician (revoked or not), with
	// their Role and the Clinic that registered them.
	Clinician bool
	Role      chain.Role
	Clinic    chain.PublicKey
	// ClinicName is the registering clinic's name in the network's
	// genesis, or the key's own name when it is a founding clinic; empty
	// when the genesis does not name it (a clinic voted in later).
	ClinicName string
	// Revoked: the clinic withdrew the clinician's registration.
	Revoked bool
}

// Party says who k is. A key the chain does not know is returned with only
// its ID.
func (w *Wallet) Party(k chain.PublicKey) (Party, error) {
	p := Party{Key: k, ID: identity.IDFromSigningKey(k[:])}
	if w.chain == nil {
		return p, ErrNoChain
	}
	cl, err := w.chain.ledger.State().Clinician(k)
	switch {
	case errors.Is(err, state.ErrNotFound):
		p.ClinicName = w.ClinicName(k)
		return p, nil
	case err != nil:
		return p, err
	}
	p.Clinician, p.Role, p.Clinic, p.Revoked = true, cl.Role, cl.Clinic, cl.Revoked
	p.ClinicName = w.ClinicName(cl.Clinic)
	return p, nil
}

// ClinicName is a clinic's name as the network's genesis gives it, or ""
// when the genesis does not name the key.
func (w *Wallet) ClinicName(k chain.PublicKey) string {
	if w.opts.Chain == nil || w.opts.Chain.Genesis == nil {
		return ""
	}
	key := hex.EncodeToString(k[:])
	for _, s := range w.opts.Chain.Genesis.Signers {
		if strings.EqualFold(s.Key, key) {
			return s.Name
		}
	}
	return ""
}

// RequestInfo is a pending access request with who sent it and when.
type RequestInfo struct {
	PendingRequest
	From  Party
	Asked time.Time // the time of the block that holds the request
}

// RequestInbox lists the access requests waiting for the owner's answer
// (as PendingRequests), newest first, with their senders.
func (w *Wallet) RequestInbox(ctx context.Context) ([]RequestInfo, error) {
	reqs, err := w.PendingRequests(ctx)
	if err != nil {
		return nil, err
	}
	st := w.chain.ledger.State()
	out := make([]RequestInfo, 0, len(reqs))
	for _, r := range reqs {
		from, err := w.Party(r.Clinician)
		if err != nil {
			return nil, err
		}
		info := RequestInfo{PendingRequest: r, From: from}
		if t, err := st.BlockTime(r.Block); err == nil {
			info.Asked = time.Unix(int64(t), 0)
		}
		out = append(out, info)
	}
	slices.Reverse(out)
	return out, nil
}

// GrantInfo is a grant the owner made, with its grantee.
type GrantInfo struct {
	state.Grant
	To      Party
	Granted time.Time // the time of the block that holds the grant
	Expires time.Time // zero: never
}

// GrantsInForce lists the owner's grants that are neither revoked nor
// expired, newest first.
func (w *Wallet) GrantsInForce(ctx context.Context) ([]GrantInfo, error) {
	if w.chain == nil {
		return nil, ErrNoChain
	}
	st := w.chain.ledger.State()
	grants, err := st.ActiveGrants(w.ChainKey(), w.chainTime())
	if err != nil {
		return nil, err
	}
	out := make([]GrantInfo, 0, len(grants))
	for _, g := range grants {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		to, err := w.Party(g.Grantee)
		if err != nil {
			return nil, err
		}
		info := GrantInfo{Grant: g, To: to}
		if t, err := st.BlockTime(g.Block); err == nil {
			info.Granted = time.Unix(int64(t), 0)
		}
		// SQLite keeps "never" as MaxInt64 (see package state).
		if g.Expiry < 1<<63-1 {
			info.Expires = time.Unix(int64(g.Expiry), 0)
		}
		out = append(out, info)
	}
	slices.Reverse(out)
	return out, nil
}

// EmergencyStatus is the owner's emergency authorization in force.
type EmergencyStatus struct {
	Authorization chain.Hash // what Revoke withdraws
	Since         time.Time  // the time of its block
	Threshold     int        // clinics needed together to open the summary
	Holders       int        // clinics holding a share
}

// EmergencyInForce returns the owner's emergency authorization in force;
// ok is false when there is none (never made, or withdrawn).
func (w *Wallet) EmergencyInForce() (s EmergencyStatus, ok bool, err error) {
	if w.chain == nil {
		return s, false, ErrNoChain
	}
	st := w.chain.ledger.State()
	a, err := st.EmergencyAuthorization(w.ChainKey())
	if errors.Is(err, state.ErrNotFound) {
		return s, false, nil
	}
	if err != nil {
		return s, false, err
	}
	if a.Revoked {
		return s, false, nil
	}
	s = EmergencyStatus{Authorization: a.ID, Threshold: a.Threshold, Holders: len(a.Holders)}
	if t, err := st.BlockTime(a.Block); err == nil {
		s.Since = time.Unix(int64(t), 0)
	}
	return s, true, nil
}
