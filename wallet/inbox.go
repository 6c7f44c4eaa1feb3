package wallet

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/healthwallet/healthwallet/internal/atomicfile"
)

// inboxFile holds what the owner has done with news from the chain: the
// records clinicians added (kept or hidden) and the emergency alerts seen.
// It names transactions and record IDs only, never content, so it is not
// sealed; a lost file only brings old news back.
const inboxFile = "inbox.json"

const inboxVersion = 1

type inbox struct {
	Version    int                   `json:"version"`
	AlertsSeen uint64                `json:"alertsSeen"` // last block whose emergency alerts were seen
	Incoming   map[string]inboxEntry `json:"incoming"`   // anchor tx hash (hex) → decision
}

type inboxEntry struct {
	State  string `json:"state"`            // "kept" or "hidden"
	Record string `json:"record,omitempty"` // the kept record's ID in the catalog
}

func (w *Wallet) loadInbox() (inbox, error) {
	in := inbox{Version: inboxVersion, Incoming: map[string]inboxEntry{}}
	b, err := os.ReadFile(filepath.Join(w.dir, inboxFile))
	if errors.Is(err, fs.ErrNotExist) {
		return in, nil
	}
	if err != nil {
		return in, fmt.Errorf("wallet: inbox: %w", err)
	}
	if err := json.Unmarshal(b, &in); err != nil {
		return in, fmt.Errorf("wallet: inbox %s is damaged: %w", inboxFile, err)
	}
	if in.Version != inboxVersion {
		return in, fmt.Errorf("wallet: inbox version %d, this build reads %d", in.Version, inboxVersion)
	}
	if in.Incoming == nil {
		in.Incoming = map[string]inboxEntry{}
	}
	return in, nil
}

func (w *Wallet) updateInbox(f func(*inbox)) error {
	w.inboxMu.Lock()
	defer w.inboxMu.Unlock()
	in, err := w.loadInbox()
	if err != nil {
		return err
	}
	f(&in)
	b, err := json.MarshalIndent(in, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(filepath.Join(w.dir, inboxFile), b, 0o600)
}
