package clique

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"slices"
	"testing"
)

const scenarioPath = "../../../shared/testdata/clique-voting-scenarios.json"

type scenarioFile struct {
	Source    string            `json:"source"`
	Fields    map[string]string `json:"fields"`
	Scenarios []scenario        `json:"scenarios"`
}

type scenario struct {
	Name    string          `json:"name"`
	Epoch   uint64          `json:"epoch"`
	Signers []string        `json:"signers"`
	Blocks  []scenarioBlock `json:"blocks"`
	Results *[]string       `json:"results"` // nil when the import must fail
	Failure string          `json:"failure"`
}

type scenarioBlock struct {
	Signer     string   `json:"signer"`
	Voted      string   `json:"voted"`
	Auth       bool     `json:"auth"`
	Checkpoint []string `json:"checkpoint"`
}

func loadScenarios(t *testing.T) []scenario {
	t.Helper()
	raw, err := os.ReadFile(scenarioPath)
	if err != nil {
		t.Fatalf("read %s: %v", scenarioPath, err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields() // a new field would mean a rule this harness ignores
	var f scenarioFile
	if err := dec.Decode(&f); err != nil {
		t.Fatalf("decode %s: %v", scenarioPath, err)
	}
	for _, field := range []string{"epoch", "blocks[].voted", "blocks[].auth", "blocks[].checkpoint", "results", "failure"} {
		if _, ok := f.Fields[field]; !ok {
			t.Fatalf("%s: fields lacks %q; the harness's reading of the file may be out of date", scenarioPath, field)
		}
	}
	if len(f.Scenarios) == 0 {
		t.Fatalf("%s: no scenarios", scenarioPath)
	}
	return f.Scenarios
}

// failureErr maps the file's failure names to sentinel errors by their text.
func failureErr(t *testing.T, name string) error {
	t.Helper()
	for _, err := range []error{
		ErrInvalidVotingChain, ErrUnauthorizedSigner, ErrRecentlySigned, ErrInvalidVote,
		ErrInvalidCheckpointSigners, ErrInvalidDifficulty, ErrInvalidTimestamp, ErrUnknownAncestor,
	} {
		if err.Error() == name {
			return err
		}
	}
	t.Fatalf("unknown failure kind %q", name)
	return nil
}

func letters(names []string) []Signer {
	out := make([]Signer, len(names))
	for i, n := range names {
		out[i] = key(n)
	}
	return out
}

// TestScenarios runs every EIP-225 voting scenario three ways — one block per
// Apply (checking VerifyHeader agrees), the whole chain in one Apply, and in
// batches split after each checkpoint as go-ethereum's harness imports them —
// and requires the same outcome from each.
func TestScenarios(t *testing.T) {
	scenarios := loadScenarios(t)
	passed := 0
	for _, sc := range scenarios {
		ok := t.Run(sc.Name, func(t *testing.T) {
			if (sc.Results == nil) == (sc.Failure == "") {
				t.Fatalf("scenario must have exactly one of results and failure")
			}
			var want error
			if sc.Failure != "" {
				want = failureErr(t, sc.Failure)
			}
			cfg := Config{Epoch: sc.Epoch}
			genesisSigners := letters(sc.Signers)
			gh := genesisHeader(genesisSigners)
			genesis := NewSnapshot(cfg, 0, gh.Hash, genesisSigners)
			pristine := genesis.Copy()

			// 1. Block by block, building each header on the snapshot so far.
			snap, parent := genesis, gh
			var headers []Header
			var failedAt = -1
			for i, b := range sc.Blocks {
				var vote *Proposal
				if b.Voted != "" {
					vote = &Proposal{Target: key(b.Voted), Authorize: b.Auth}
				}
				h := child(snap, parent, key(b.Signer), vote)
				// The file lists the checkpoint's signers: use them as given,
				// so a harness/file disagreement shows as a failure.
				if b.Checkpoint != nil {
					h.Checkpoint = sortedCopy(letters(b.Checkpoint))
					h = rehash(h)
				} else if cfg.IsCheckpoint(h.Number) {
					t.Fatalf("block %d is a checkpoint but the file gives no signer list", h.Number)
				}
				headers = append(headers, h)
				verr := VerifyHeader(snap, h, parent)
				next, err := snap.Apply([]Header{h})
				if (verr == nil) != (err == nil) || (err != nil && !errors.Is(verr, errors.Unwrap(err))) {
					t.Fatalf("block %d: VerifyHeader says %v, Apply says %v", h.Number, verr, err)
				}
				if err != nil {
					if want == nil {
						t.Fatalf("block %d: %v", h.Number, err)
					}
					if !errors.Is(err, want) {
						t.Fatalf("block %d: error %v, want %v", h.Number, err, want)
					}
					failedAt = i
					break
				}
				snap, parent = next, h
			}
			if want != nil && failedAt != len(sc.Blocks)-1 {
				t.Fatalf("failure %q: the last block must fail and only it; failed at index %d of %d", sc.Failure, failedAt, len(sc.Blocks))
			}
			if want == nil {
				if got, exp := snap.Signers(), sortedCopy(letters(*sc.Results)); !slices.Equal(got, exp) {
					t.Fatalf("signers %v, want %v (%v)", names(got, sc), exp, *sc.Results)
				}
			}

			// 2. All at once.
			all, err := genesis.Apply(headers)
			checkOutcome(t, "one Apply", all, err, snap, want)

			// 3. In batches split after each checkpoint; any failure must be
			// in the last batch.
			var batches [][]Header
			start := 0
			for i, h := range headers {
				if cfg.IsCheckpoint(h.Number) || i == len(headers)-1 {
					batches = append(batches, headers[start:i+1])
					start = i + 1
				}
			}
			cur := genesis
			for j, batch := range batches {
				next, err := cur.Apply(batch)
				if j < len(batches)-1 {
					if err != nil {
						t.Fatalf("batch %d of %d: %v", j, len(batches), err)
					}
					cur = next
					continue
				}
				checkOutcome(t, "batches", next, err, snap, want)
			}

			if !reflect.DeepEqual(genesis, pristine) {
				t.Fatalf("Apply changed the snapshot it was called on")
			}
		})
		if ok {
			passed++
		}
	}
	t.Logf("%d/%d EIP-225 scenarios pass", passed, len(scenarios))
}

// checkOutcome compares a batch import with the block-by-block result.
func checkOutcome(t *testing.T, how string, got *Snapshot, err error, want *Snapshot, wantErr error) {
	t.Helper()
	if wantErr != nil {
		if !errors.Is(err, wantErr) || got != nil {
			t.Fatalf("%s: got (%v, %v), want error %v", how, got != nil, err, wantErr)
		}
		return
	}
	if err != nil {
		t.Fatalf("%s: %v", how, err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s: snapshot differs from block-by-block import:\n%+v\n%+v", how, got, want)
	}
}

// names turns signers back into the scenario's letters for messages.
func names(signers []Signer, sc scenario) []string {
	var out []string
	for _, s := range signers {
		n := "?"
		for _, b := range append(slices.Clone(sc.Signers), voted(sc)...) {
			if key(b) == s {
				n = b
			}
		}
		out = append(out, n)
	}
	return out
}

func voted(sc scenario) []string {
	var out []string
	for _, b := range sc.Blocks {
		out = append(out, b.Signer, b.Voted)
	}
	return out
}
