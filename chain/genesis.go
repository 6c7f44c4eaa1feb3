package chain

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"time"

	"github.com/healthwallet/healthwallet/internal/atomicfile"
)

// GenesisVersion is the genesis file format version.
const GenesisVersion = 1

// MaxGenesisSize bounds a genesis file read from disk or an invite.
const MaxGenesisSize = 64 << 10

// Genesis describes a consortium's chain: who seals its first blocks, how
// fast, and its name. It is a JSON file the founding clinic creates
// (`healthwallet chain init`) and every member installs; its hash is the
// chain's identity.
type Genesis struct {
	Version int    `json:"version"`
	ChainID string `json:"chainId"`
	// Time is the genesis block's time, Unix seconds.
	Time uint64 `json:"time"`
	// Period is the target seconds between blocks (EIP-225's period).
	Period uint64 `json:"period"`
	// Epoch is the checkpoint interval in blocks.
	Epoch uint64 `json:"epoch"`
	// Signers are the founding clinics' signing keys.
	Signers []GenesisSigner `json:"signers"`
}

// GenesisSigner is one founding signer: its key, and a name for people.
type GenesisSigner struct {
	Key  string `json:"key"` // Ed25519 public key, hex
	Name string `json:"name,omitempty"`
}

// NewGenesis makes a genesis for the given signers with the defaults: a 2 s
// period (a clinic LAN) and 30,000-block epochs.
func NewGenesis(chainID string, at time.Time, signers map[PublicKey]string) *Genesis {
	g := &Genesis{Version: GenesisVersion, ChainID: chainID, Time: uint64(at.Unix()), Period: 2, Epoch: 30000}
	for k, name := range signers {
		g.Signers = append(g.Signers, GenesisSigner{Key: hex.EncodeToString(k[:]), Name: name})
	}
	sort.Slice(g.Signers, func(i, j int) bool { return g.Signers[i].Key < g.Signers[j].Key })
	return g
}

// SignerKeys returns the signers' keys, sorted.
func (g *Genesis) SignerKeys() ([]PublicKey, error) {
	keys := make([]PublicKey, 0, len(g.Signers))
	seen := map[PublicKey]bool{}
	for i, s := range g.Signers {
		b, err := hex.DecodeString(s.Key)
		if err != nil || len(b) != PublicKeySize {
			return nil, fmt.Errorf("genesis signer %d: key %q is not %d hex bytes: %w", i, s.Key, PublicKeySize, ErrInvalid)
		}
		var k PublicKey
		copy(k[:], b)
		if err := checkKey(fmt.Sprintf("genesis signer %d", i), k); err != nil {
			return nil, err
		}
		if seen[k] {
			return nil, fmt.Errorf("genesis signer %d: %s listed twice: %w", i, s.Key, ErrInvalid)
		}
		seen[k] = true
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return bytes.Compare(keys[i][:], keys[j][:]) < 0 })
	return keys, nil
}

// Validate checks the genesis as a whole.
func (g *Genesis) Validate() error {
	if g.Version != GenesisVersion {
		return fmt.Errorf("genesis version %d, this software reads %d: %w", g.Version, GenesisVersion, ErrInvalid)
	}
	if err := ValidChainID(g.ChainID); err != nil {
		return err
	}
	if g.Period == 0 || g.Period > 3600 {
		return fmt.Errorf("genesis period %d s, want 1 to 3600: %w", g.Period, ErrInvalid)
	}
	if g.Epoch == 0 {
		return fmt.Errorf("genesis epoch 0: %w", ErrInvalid)
	}
	if len(g.Signers) == 0 || len(g.Signers) > MaxSigners {
		return fmt.Errorf("genesis has %d signers, want 1 to %d: %w", len(g.Signers), MaxSigners, ErrInvalid)
	}
	_, err := g.SignerKeys()
	return err
}

// Header is the genesis block's header: number 0, unsealed, listing the
// signers as a checkpoint.
func (g *Genesis) Header() (*Header, error) {
	if err := g.Validate(); err != nil {
		return nil, err
	}
	keys, _ := g.SignerKeys()
	h := &Header{
		ChainID:    g.ChainID,
		Number:     0,
		Time:       g.Time,
		TxRoot:     MerkleRoot(nil),
		Difficulty: DiffNoTurn,
		Checkpoint: keys,
	}
	if err := h.Validate(); err != nil {
		return nil, err
	}
	return h, nil
}

// ReadGenesis reads and validates a genesis file.
func ReadGenesis(r io.Reader) (*Genesis, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxGenesisSize+1))
	if err != nil {
		return nil, err
	}
	if len(b) > MaxGenesisSize {
		return nil, fmt.Errorf("genesis larger than %d bytes: %w", MaxGenesisSize, ErrTooLarge)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var g Genesis
	if err := dec.Decode(&g); err != nil {
		return nil, fmt.Errorf("genesis: %w: %v", ErrInvalid, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("genesis: %w: data after the JSON object", ErrInvalid)
	}
	if err := g.Validate(); err != nil {
		return nil, err
	}
	return &g, nil
}

// LoadGenesis reads a genesis file from disk.
func LoadGenesis(path string) (*Genesis, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	g, err := ReadGenesis(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return g, nil
}

// Save writes the genesis, indented, atomically.
func (g *Genesis) Save(path string) error {
	if err := g.Validate(); err != nil {
		return err
	}
	b, err := json.MarshalIndent(g, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(path, append(b, '\n'), 0o644)
}
