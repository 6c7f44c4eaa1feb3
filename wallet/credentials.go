package wallet

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/healthwallet/healthwallet/chain"
	"github.com/healthwallet/healthwallet/chain/state"
	"github.com/healthwallet/healthwallet/internal/atomicfile"
	"github.com/healthwallet/healthwallet/wallet/identity"
	"github.com/healthwallet/healthwallet/wallet/vc"
)

// Clinicians' credentials. An authority issues a credential as a W3C
// Verifiable Credential (wallet/vc) and anchors its hash on the chain
// (chain.CredentialAnchor); the clinician keeps the document in the
// wallet and shows it; anyone judges a key from the local copy of the
// chain alone: which credentials are anchored for it, by which authority,
// whether that authority is admitted, the validity dates and the status
// its issuer set. No network, no registry to ask.
//
// Documents live as files named by their hash under credentials/ (this
// wallet's own), credentials/issued/ (an authority's copies) and
// credentials/staff/ (a clinic's files of its clinicians). They hold no
// health data and no secrets: a licence is public, and the chain already
// says who holds what.

var (
	// ErrNotYours: a credential document whose subject is another key.
	ErrNotYours = errors.New("this credential was issued to someone else")
	// ErrCredentialNotAnchored: a credential document whose hash is not on the
	// ledger; the issuing authority has not (yet) anchored it.
	ErrCredentialNotAnchored = errors.New("this credential is not on the ledger")
	// ErrCredentialDocument: a file that is not a genuine credential
	// document (malformed, or its proof does not verify).
	ErrCredentialDocument = errors.New("not a genuine credential document")
)

const (
	credentialsDir = "credentials"
	issuedDir      = "issued"
	staffDir       = "staff"
)

// CredentialVerdict is a credential judged from the local chain state.
type CredentialVerdict struct {
	Hash       chain.Hash
	Kind       chain.CredentialKind
	Name       string // the kind, or the training's name when the document is known
	Issuer     chain.PublicKey
	IssuerName string // the authority's name on the chain
	ValidFrom  time.Time
	ValidUntil time.Time
	Status     chain.CredentialStatus // on the chain now
	Valid      bool                   // in force now, from an admitted authority
	Reasons    []string               // why it is not valid, in plain words
	Doc        *vc.Credential         // the document's contents, when this wallet holds it
}

// ClinicianVerdict is what the local chain state says of a key.
type ClinicianVerdict struct {
	Key chain.PublicKey
	// Verified: the key holds at least one valid licence (physician,
	// nurse, pharmacist or prescriber).
	Verified    bool
	Summary     string              // "verified physician, Demo Medical Board"
	Credentials []CredentialVerdict // every anchored credential, valid ones first
}

// Holds reports whether the verdict includes a valid credential of kind k.
func (v ClinicianVerdict) Holds(k chain.CredentialKind) bool {
	return slices.ContainsFunc(v.Credentials, func(c CredentialVerdict) bool { return c.Valid && c.Kind == k })
}

// HeldCredential is a credential document with its verdict.
type HeldCredential struct {
	Hash    chain.Hash
	Doc     []byte // the VC JSON
	VC      vc.Credential
	Verdict CredentialVerdict
}

// credentialStore caches the documents on disk by hash, so that judging a
// key does not read files.
type credentialStore struct {
	mu       sync.Mutex
	loaded   bool
	docs     map[chain.Hash]vc.Credential   // every document in any of the folders
	declined map[chain.Hash]bool            // requests declined by policy, not yet in a block
	files    map[string]map[chain.Hash]bool // folder → hashes in it
}

func (w *Wallet) credentialFolder(sub string) string {
	if sub == "" {
		return filepath.Join(w.dir, credentialsDir)
	}
	return filepath.Join(w.dir, credentialsDir, sub)
}

// loadCredentials reads the document folders once.
func (w *Wallet) loadCredentials() error {
	s := &w.creds
	if s.loaded {
		return nil
	}
	s.docs = map[chain.Hash]vc.Credential{}
	s.files = map[string]map[chain.Hash]bool{}
	if s.declined == nil {
		s.declined = map[chain.Hash]bool{}
	}
	for _, sub := range []string{"", issuedDir, staffDir} {
		s.files[sub] = map[chain.Hash]bool{}
		dir := w.credentialFolder(sub)
		entries, err := os.ReadDir(dir)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("wallet: credentials: %w", err)
		}
		for _, e := range entries {
			name := e.Name()
			if e.IsDir() || !strings.HasSuffix(name, ".json") {
				continue
			}
			doc, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				return fmt.Errorf("wallet: credentials: %w", err)
			}
			c, err := parseCredential(doc)
			if err != nil {
				// A damaged file loses one document, never the wallet.
				w.log.Warn("wallet: skipping a damaged credential file", "file", filepath.Join(dir, name), "err", err)
				continue
			}
			h := chain.Hash(vc.Hash(doc))
			s.docs[h] = c
			s.files[sub][h] = true
		}
	}
	s.loaded = true
	return nil
}

// parseCredential verifies a document's proof; a genuine document outside
// its validity is returned too (the chain's verdict says so).
func parseCredential(doc []byte) (vc.Credential, error) {
	c, err := vc.Verify(doc, time.Now())
	if err != nil && !errors.Is(err, vc.ErrExpired) && !errors.Is(err, vc.ErrNotYetValid) {
		return vc.Credential{}, fmt.Errorf("%w: %w", ErrCredentialDocument, err)
	}
	return c, nil
}

// fileCredential stores doc in folder sub and the cache.
func (w *Wallet) fileCredential(sub string, h chain.Hash, c vc.Credential, doc []byte) error {
	dir := w.credentialFolder(sub)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("wallet: credentials: %w", err)
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, hex.EncodeToString(h[:])+".json"), doc, 0o600); err != nil {
		return fmt.Errorf("wallet: credentials: %w", err)
	}
	w.creds.docs[h] = c
	w.creds.files[sub][h] = true
	return nil
}

func (w *Wallet) unfileCredential(sub string, h chain.Hash) {
	os.Remove(filepath.Join(w.credentialFolder(sub), hex.EncodeToString(h[:])+".json"))
	delete(w.creds.files[sub], h)
}

// heldIn returns the documents in folder sub with their verdicts.
func (w *Wallet) heldIn(sub string) ([]HeldCredential, error) {
	if w.chain == nil {
		return nil, ErrNoChain
	}
	w.creds.mu.Lock()
	if err := w.loadCredentials(); err != nil {
		w.creds.mu.Unlock()
		return nil, err
	}
	hashes := make([]chain.Hash, 0, len(w.creds.files[sub]))
	for h := range w.creds.files[sub] {
		hashes = append(hashes, h)
	}
	w.creds.mu.Unlock()
	var out []HeldCredential
	for _, h := range hashes {
		hc, err := w.held(h, sub)
		if err != nil {
			return nil, err
		}
		out = append(out, hc)
	}
	slices.SortFunc(out, func(a, b HeldCredential) int { return b.VC.ValidFrom.Compare(a.VC.ValidFrom) })
	return out, nil
}

func (w *Wallet) held(h chain.Hash, sub string) (HeldCredential, error) {
	doc, err := os.ReadFile(filepath.Join(w.credentialFolder(sub), hex.EncodeToString(h[:])+".json"))
	if err != nil {
		return HeldCredential{}, fmt.Errorf("wallet: credentials: %w", err)
	}
	c, err := parseCredential(doc)
	if err != nil {
		return HeldCredential{}, err
	}
	v, err := w.credentialVerdict(h, c)
	if err != nil {
		return HeldCredential{}, err
	}
	return HeldCredential{Hash: h, Doc: doc, VC: c, Verdict: v}, nil
}

// credentialVerdict judges one credential by hash; c describes the
// document for a credential not on the chain.
func (w *Wallet) credentialVerdict(h chain.Hash, c vc.Credential) (CredentialVerdict, error) {
	st := w.chain.ledger.State()
	sc, err := st.Credential(h)
	if errors.Is(err, state.ErrNotFound) {
		v := CredentialVerdict{Hash: h, Name: c.Kind, ValidFrom: c.ValidFrom, ValidUntil: c.ValidUntil, Doc: &c,
			Reasons: []string{"not on the ledger: the authority has not anchored it"}}
		if k, err := chain.ParseCredentialKind(c.Kind); err == nil {
			v.Kind = k
		} else {
			v.Kind = chain.KindTraining
		}
		if issuer, err := vc.PublicKeyFromDIDKey(c.Issuer); err == nil {
			v.Issuer = chain.PublicKey(issuer)
		}
		return v, nil
	}
	if err != nil {
		return CredentialVerdict{}, err
	}
	return judge(st, sc, w.chainTime(), w.documentOf(h))
}

// documentOf returns the cached document of h, if this wallet holds one.
func (w *Wallet) documentOf(h chain.Hash) *vc.Credential {
	w.creds.mu.Lock()
	defer w.creds.mu.Unlock()
	if err := w.loadCredentials(); err != nil {
		return nil
	}
	if c, ok := w.creds.docs[h]; ok {
		return &c
	}
	return nil
}

// judge is the verdict on an anchored credential at time now.
func judge(st *state.State, c state.Credential, now uint64, doc *vc.Credential) (CredentialVerdict, error) {
	v := CredentialVerdict{
		Hash: c.Hash, Kind: c.Kind, Name: c.Kind.String(), Issuer: c.Issuer,
		ValidFrom: time.Unix(int64(c.ValidFrom), 0), ValidUntil: time.Unix(int64(c.ValidUntil), 0),
		Status: c.Status, Doc: doc,
	}
	if doc != nil && c.Kind == chain.KindTraining {
		v.Name = doc.Kind
	}
	issuerName := "an unknown authority"
	a, err := st.Authority(c.Issuer)
	switch {
	case err == nil:
		v.IssuerName, issuerName = a.Name, a.Name
		if !a.Admitted {
			v.Reasons = append(v.Reasons, fmt.Sprintf("%s is no longer an admitted authority (removed on %s)", a.Name, day(a.Time)))
		}
	case errors.Is(err, state.ErrNotFound):
		v.Reasons = append(v.Reasons, "issued by a key that is not an admitted authority")
	default:
		return CredentialVerdict{}, err
	}
	switch c.Status {
	case chain.StatusRevoked, chain.StatusSuspended:
		when := c.Time
		if n := len(c.History); n > 0 {
			when = c.History[n-1].Time
		}
		v.Reasons = append(v.Reasons, fmt.Sprintf("%s by %s on %s", c.Status, issuerName, day(when)))
	}
	if now >= c.ValidUntil {
		v.Reasons = append(v.Reasons, "expired on "+day(c.ValidUntil))
	}
	if now < c.ValidFrom {
		v.Reasons = append(v.Reasons, "not valid before "+day(c.ValidFrom))
	}
	v.Valid = len(v.Reasons) == 0
	return v, nil
}

func day(unix uint64) string { return time.Unix(int64(unix), 0).UTC().Format("2 Jan 2006") }

// licenceOrder is the order a summary names licences in.
var licenceOrder = []chain.CredentialKind{chain.KindPhysician, chain.KindNurse, chain.KindPrescriber, chain.KindPharmacist}

// VerifyClinician judges key from the local copy of the chain only: every
// credential anchored for it, and a one-line summary.
func (w *Wallet) VerifyClinician(key chain.PublicKey) (ClinicianVerdict, error) {
	if w.chain == nil {
		return ClinicianVerdict{}, ErrNoChain
	}
	return w.verifyClinician(w.chain.ledger.State(), key, w.chainTime())
}

func (w *Wallet) verifyClinician(st *state.State, key chain.PublicKey, now uint64) (ClinicianVerdict, error) {
	cs, err := st.CredentialsOf(key)
	if err != nil {
		return ClinicianVerdict{}, fmt.Errorf("wallet: verify clinician %s: %w", key, err)
	}
	out := ClinicianVerdict{Key: key}
	for _, c := range cs {
		v, err := judge(st, c, now, w.documentOf(c.Hash))
		if err != nil {
			return ClinicianVerdict{}, fmt.Errorf("wallet: verify clinician %s: %w", key, err)
		}
		out.Credentials = append(out.Credentials, v)
	}
	slices.SortStableFunc(out.Credentials, func(a, b CredentialVerdict) int {
		switch {
		case a.Valid == b.Valid:
			return 0
		case a.Valid:
			return -1
		}
		return 1
	})
	out.Summary, out.Verified = summarize(out)
	return out, nil
}

// summarize says what a verdict amounts to in one line, and whether it
// holds a valid licence.
func summarize(v ClinicianVerdict) (string, bool) {
	var kinds []string
	var issuers []string
	for _, k := range licenceOrder {
		for _, c := range v.Credentials {
			if c.Valid && c.Kind == k {
				kinds = append(kinds, k.String())
				if !slices.Contains(issuers, c.IssuerName) {
					issuers = append(issuers, c.IssuerName)
				}
				break
			}
		}
	}
	if len(kinds) > 0 {
		return "verified " + joinAnd(kinds) + ", " + joinAnd(issuers), true
	}
	for _, c := range v.Credentials {
		if c.Kind != chain.KindTraining && len(c.Reasons) > 0 {
			return "no valid licence: " + c.Name + " licence " + c.Reasons[0], false
		}
	}
	return "no licence on the ledger for this key", false
}

func joinAnd(s []string) string {
	switch len(s) {
	case 0:
		return ""
	case 1:
		return s[0]
	}
	return strings.Join(s[:len(s)-1], ", ") + " and " + s[len(s)-1]
}

// AddCredential keeps a credential document issued to this wallet's key
// (the file an authority gave its owner). The proof must verify and the
// authority must have anchored it.
func (w *Wallet) AddCredential(ctx context.Context, doc []byte) (HeldCredential, error) {
	if err := ctx.Err(); err != nil {
		return HeldCredential{}, err
	}
	if w.chain == nil {
		return HeldCredential{}, ErrNoChain
	}
	// Whose it is needs no chain: say so before asking whether this
	// wallet's copy of the chain has the anchor yet.
	if c, err := parseCredential(doc); err == nil {
		if subject, _ := vc.PublicKeyFromDIDKey(c.Subject); chain.PublicKey(subject) != w.ChainKey() {
			return HeldCredential{}, fmt.Errorf("wallet: add credential %s: %w", chain.Hash(vc.Hash(doc)), ErrNotYours)
		}
	}
	c, h, err := w.checkDocument(doc)
	if err != nil {
		return HeldCredential{}, err
	}
	return w.keepDocument("", h, c, doc)
}

// checkDocument verifies a document's proof and that it is anchored.
func (w *Wallet) checkDocument(doc []byte) (vc.Credential, chain.Hash, error) {
	c, err := parseCredential(doc)
	if err != nil {
		return vc.Credential{}, chain.Hash{}, fmt.Errorf("wallet: credential: %w", err)
	}
	h := chain.Hash(vc.Hash(doc))
	if _, err := w.chain.ledger.State().Credential(h); errors.Is(err, state.ErrNotFound) {
		return vc.Credential{}, chain.Hash{}, fmt.Errorf("wallet: credential %s: %w", h, ErrCredentialNotAnchored)
	} else if err != nil {
		return vc.Credential{}, chain.Hash{}, err
	}
	return c, h, nil
}

func (w *Wallet) keepDocument(sub string, h chain.Hash, c vc.Credential, doc []byte) (HeldCredential, error) {
	w.creds.mu.Lock()
	err := w.loadCredentials()
	if err == nil {
		err = w.fileCredential(sub, h, c, doc)
	}
	w.creds.mu.Unlock()
	if err != nil {
		return HeldCredential{}, err
	}
	return w.held(h, sub)
}

// Credentials returns this wallet's own credential documents with their
// verdicts, newest first.
func (w *Wallet) Credentials() ([]HeldCredential, error) { return w.heldIn("") }

// CheckCredentialDocument judges a document someone shows (a candidate's,
// when a clinic hires or promotes) without keeping it: its proof, then
// what the chain says of it.
func (w *Wallet) CheckCredentialDocument(doc []byte) (HeldCredential, error) {
	if w.chain == nil {
		return HeldCredential{}, ErrNoChain
	}
	c, err := parseCredential(doc)
	if err != nil {
		return HeldCredential{}, fmt.Errorf("wallet: credential: %w", err)
	}
	h := chain.Hash(vc.Hash(doc))
	v, err := w.credentialVerdict(h, c)
	if err != nil {
		return HeldCredential{}, err
	}
	v.Doc = &c
	if v.Kind == chain.KindTraining {
		v.Name = c.Kind
	}
	return HeldCredential{Hash: h, Doc: doc, VC: c, Verdict: v}, nil
}

// ParseClinicianKey reads a clinician's key as a person gives it: a Health
// Wallet ID, or a chain key in hex.
func ParseClinicianKey(s string) (chain.PublicKey, error) {
	s = strings.TrimSpace(s)
	var k chain.PublicKey
	if b, err := hex.DecodeString(s); err == nil && len(b) == len(k) {
		copy(k[:], b)
		return k, k.Check()
	}
	id, err := identity.ParseID(s)
	if err != nil {
		return k, fmt.Errorf("wallet: %q is neither a Health Wallet ID nor a key: %w", s, err)
	}
	copy(k[:], id.SigningKey())
	return k, nil
}
