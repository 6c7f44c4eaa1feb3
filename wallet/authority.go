package wallet

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/healthwallet/healthwallet/chain"
	"github.com/healthwallet/healthwallet/chain/state"
	"github.com/healthwallet/healthwallet/wallet/vc"
)

// Licensing authorities. The clinic signers admit an authority (a medical
// board, a pharmacy board, a clinic's training office) by majority vote,
// naming the kinds of credential it may issue; the authority's own wallet
// then issues credentials: it signs the document with its key, anchors
// the document's hash on the chain and hands the file to the clinician.

var (
	// ErrNotSigner: only a clinic that seals the chain may vote on
	// authorities.
	ErrNotSigner = errors.New("only a clinic that seals the chain may do this")
	// ErrNotAuthority: this wallet's key is not an admitted authority, or
	// may not issue that kind of credential.
	ErrNotAuthority = errors.New("this wallet is not an admitted licensing authority for that kind of credential")
)

// VoteAuthority casts this clinic's vote to admit (or rename, or change
// the kinds of) a licensing authority, or to remove one, and waits until
// the vote is settled on the chain. The change happens when more than half
// of the clinics voted the same.
func (w *Wallet) VoteAuthority(ctx context.Context, key chain.PublicKey, admit bool, name string, kinds chain.CredentialKinds) error {
	if w.chain == nil {
		return ErrNoChain
	}
	if !slices.Contains(w.chain.ledger.Signers(), w.ChainKey()) {
		return fmt.Errorf("wallet: vote on authority %s: %w", key, ErrNotSigner)
	}
	v := chain.AuthorityVote{Key: key, Admit: admit}
	if admit {
		v.Name, v.Kinds = strings.TrimSpace(name), kinds
	}
	if _, err := w.Submit(ctx, v); err != nil {
		return fmt.Errorf("wallet: vote on authority %s: %w", key, err)
	}
	return w.WaitSettled(ctx)
}

// Authorities returns every authority ever admitted, with its standing now.
func (w *Wallet) Authorities() ([]state.Authority, error) {
	if w.chain == nil {
		return nil, ErrNoChain
	}
	return w.chain.ledger.State().Authorities()
}

// AuthorityVotes returns the votes on authorities that have not carried
// yet.
func (w *Wallet) AuthorityVotes() ([]state.AuthorityVoteRecord, error) {
	if w.chain == nil {
		return nil, ErrNoChain
	}
	return w.chain.ledger.State().PendingAuthorityVotes()
}

// MyAuthority returns this wallet's standing as an authority; ok is false
// unless it is admitted now.
func (w *Wallet) MyAuthority() (state.Authority, bool, error) {
	if w.chain == nil {
		return state.Authority{}, false, nil
	}
	a, err := w.chain.ledger.State().Authority(w.ChainKey())
	if errors.Is(err, state.ErrNotFound) {
		return state.Authority{}, false, nil
	}
	if err != nil {
		return state.Authority{}, false, err
	}
	return a, a.Admitted, nil
}

// CredentialRequest is what an authority fills in to issue a credential.
type CredentialRequest struct {
	Subject chain.PublicKey // the clinician's key (ParseClinicianKey)
	// Kind: "physician", "nurse", "pharmacist", "prescriber", or a
	// training certificate's name ("MRI safety").
	Kind          string
	LicenceNumber string // required for licences
	Jurisdiction  string
	Specialty     string
	ValidFrom     time.Time
	ValidUntil    time.Time
}

// credentialKind maps a document's kind to the chain's: the four licences
// by name, anything else a training certificate.
func credentialKind(kind string) chain.CredentialKind {
	if k, err := chain.ParseCredentialKind(kind); err == nil && k != chain.KindTraining {
		return k
	}
	return chain.KindTraining
}

// IssueCredential (an admitted authority's wallet) issues a credential:
// it signs the W3C Verifiable Credential, keeps a copy, anchors its hash
// on the chain and waits until that is settled. The returned document is
// the file to give the clinician.
func (w *Wallet) IssueCredential(ctx context.Context, r CredentialRequest) (HeldCredential, error) {
	if w.chain == nil {
		return HeldCredential{}, ErrNoChain
	}
	kind := credentialKind(strings.TrimSpace(r.Kind))
	me, ok, err := w.MyAuthority()
	if err != nil {
		return HeldCredential{}, err
	}
	if !ok || !me.Kinds.Has(kind) {
		return HeldCredential{}, fmt.Errorf("wallet: issue a %s credential: %w", r.Kind, ErrNotAuthority)
	}
	if kind != chain.KindTraining && strings.TrimSpace(r.LicenceNumber) == "" {
		return HeldCredential{}, fmt.Errorf("wallet: issue a %s credential: a licence needs its number", r.Kind)
	}
	if r.Subject == w.ChainKey() {
		return HeldCredential{}, fmt.Errorf("wallet: issue a %s credential: an authority cannot issue one to itself", r.Kind)
	}
	if err := r.Subject.Check(); err != nil {
		return HeldCredential{}, fmt.Errorf("wallet: issue a %s credential: the clinician's key: %w", r.Kind, err)
	}
	issuer, err := vc.DIDKey(ed25519.PublicKey(w.id.Public().SigningKey))
	if err != nil {
		return HeldCredential{}, err
	}
	subject, err := vc.DIDKey(ed25519.PublicKey(r.Subject[:]))
	if err != nil {
		return HeldCredential{}, err
	}
	c := vc.Credential{
		Issuer: issuer, Subject: subject, Kind: strings.TrimSpace(r.Kind),
		LicenceNumber: strings.TrimSpace(r.LicenceNumber), Jurisdiction: strings.TrimSpace(r.Jurisdiction),
		Specialty: strings.TrimSpace(r.Specialty),
		ValidFrom: r.ValidFrom.UTC().Truncate(time.Second), ValidUntil: r.ValidUntil.UTC().Truncate(time.Second),
	}
	doc, err := vc.Issue(c, w.id.SigningKey(), w.opts.now())
	if err != nil {
		return HeldCredential{}, fmt.Errorf("wallet: issue a %s credential: %w", r.Kind, err)
	}
	h := chain.Hash(vc.Hash(doc))
	// The copy is kept before the anchor goes out: a crash in between
	// leaves a document to re-anchor, never an anchor without its document.
	w.creds.mu.Lock()
	err = w.loadCredentials()
	if err == nil {
		err = w.fileCredential(issuedDir, h, c, doc)
	}
	w.creds.mu.Unlock()
	if err != nil {
		return HeldCredential{}, err
	}
	anchor := chain.CredentialAnchor{Credential: h, Subject: r.Subject, Kind: kind,
		ValidFrom: uint64(c.ValidFrom.Unix()), ValidUntil: uint64(c.ValidUntil.Unix())}
	if _, err := w.Submit(ctx, anchor); err != nil {
		w.creds.mu.Lock()
		w.unfileCredential(issuedDir, h)
		w.creds.mu.Unlock()
		return HeldCredential{}, fmt.Errorf("wallet: issue a %s credential: %w", r.Kind, err)
	}
	if err := w.WaitSettled(ctx); err != nil {
		return HeldCredential{}, err
	}
	return w.held(h, issuedDir)
}

// SetCredentialStatus (the issuing authority) suspends, reinstates or
// revokes a credential, and waits until that is settled. Revocation is
// final.
func (w *Wallet) SetCredentialStatus(ctx context.Context, hash chain.Hash, s chain.CredentialStatus) error {
	if w.chain == nil {
		return ErrNoChain
	}
	c, err := w.chain.ledger.State().Credential(hash)
	if err != nil {
		return fmt.Errorf("wallet: credential %s: %w", hash, err)
	}
	if c.Issuer != w.ChainKey() {
		return fmt.Errorf("wallet: credential %s was issued by another authority: %w", hash, ErrNotAuthority)
	}
	if _, err := w.Submit(ctx, chain.CredentialStatusChange{Credential: hash, Status: s}); err != nil {
		return fmt.Errorf("wallet: set credential %s %v: %w", hash, s, err)
	}
	return w.WaitSettled(ctx)
}

// IssuedCredentials returns the credentials this authority issued, newest
// first, with their verdicts.
func (w *Wallet) IssuedCredentials() ([]HeldCredential, error) { return w.heldIn(issuedDir) }
