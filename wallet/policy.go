package wallet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/healthwallet/healthwallet/chain"
	"github.com/healthwallet/healthwallet/internal/atomicfile"
)

// policyFile holds the patient's standing choices about access requests.
// It is not sealed: it says nothing about the patient's health.
const policyFile = "policy.json"

const policyVersion = 1

type policy struct {
	Version int `json:"version"`
	// RefuseUnverified: requests from keys that hold no valid licence on
	// the ledger are declined without asking.
	RefuseUnverified bool `json:"refuseUnverified"`
}

func (w *Wallet) loadPolicy() (policy, error) {
	p := policy{Version: policyVersion}
	b, err := os.ReadFile(filepath.Join(w.dir, policyFile))
	if errors.Is(err, fs.ErrNotExist) {
		return p, nil
	}
	if err != nil {
		return p, fmt.Errorf("wallet: policy: %w", err)
	}
	if err := json.Unmarshal(b, &p); err != nil {
		return p, fmt.Errorf("wallet: policy file %s is damaged: %w", policyFile, err)
	}
	if p.Version != policyVersion {
		return p, fmt.Errorf("wallet: policy version %d, this build reads %d", p.Version, policyVersion)
	}
	return p, nil
}

// SetRefuseUnverified sets the patient's policy on requests from keys that
// hold no valid licence on the ledger: when on, the wallet declines them
// by itself (in its background chores, after every block).
func (w *Wallet) SetRefuseUnverified(on bool) error {
	w.inboxMu.Lock()
	defer w.inboxMu.Unlock()
	p, err := w.loadPolicy()
	if err != nil {
		// A damaged file is replaced by the owner's new choice.
		p = policy{Version: policyVersion}
	}
	p.RefuseUnverified = on
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.WriteFile(filepath.Join(w.dir, policyFile), b, 0o600); err != nil {
		return fmt.Errorf("wallet: policy: %w", err)
	}
	w.wakeChores()
	return nil
}

// RefuseUnverified reports the policy SetRefuseUnverified sets (off when
// the file is missing or damaged).
func (w *Wallet) RefuseUnverified() bool {
	p, err := w.loadPolicy()
	return err == nil && p.RefuseUnverified
}

// declineUnverified declines, under the policy, the pending requests from
// keys with no valid licence. A decline waits for a block; until then the
// request still looks pending, so the ones sent are remembered.
func (w *Wallet) declineUnverified(ctx context.Context) error {
	if !w.RefuseUnverified() {
		return nil
	}
	reqs, err := w.PendingRequests(ctx)
	if err != nil {
		return err
	}
	for _, r := range reqs {
		w.creds.mu.Lock()
		sent := w.creds.declined[r.ID]
		w.creds.mu.Unlock()
		if sent {
			continue
		}
		v, err := w.VerifyClinician(r.Clinician)
		if err != nil {
			return err
		}
		if v.Verified {
			continue
		}
		if err := w.Decline(ctx, r.ID); err != nil {
			return fmt.Errorf("wallet: declining request %s from an unverified key: %w", r.ID, err)
		}
		w.log.Info("wallet: declined a request from a key with no valid licence", "request", r.ID, "from", r.Clinician)
		w.creds.mu.Lock()
		if w.creds.declined == nil {
			w.creds.declined = map[chain.Hash]bool{}
		}
		w.creds.declined[r.ID] = true
		w.creds.mu.Unlock()
	}
	return nil
}
