package wallet

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/healthwallet/healthwallet/chain"
)

// Staffing: a clinic's view of its clinicians' licences and trainings,
// from credentials only (the chain's anchors and statuses, and the
// documents the clinic filed when it hired them), never from patient data.

// AddStaffCredential (a clinic) files a clinician's credential document,
// given when hiring or promoting: its proof must verify and it must be
// anchored. The staffing view then shows its details (licence number,
// specialty, a training's name).
func (w *Wallet) AddStaffCredential(ctx context.Context, doc []byte) (HeldCredential, error) {
	if err := ctx.Err(); err != nil {
		return HeldCredential{}, err
	}
	if w.chain == nil {
		return HeldCredential{}, ErrNoChain
	}
	if !slices.Contains(w.chain.ledger.Signers(), w.ChainKey()) {
		return HeldCredential{}, fmt.Errorf("wallet: file a staff credential: %w", ErrNotSigner)
	}
	c, h, err := w.checkDocument(doc)
	if err != nil {
		return HeldCredential{}, err
	}
	return w.keepDocument(staffDir, h, c, doc)
}

// StaffMember is one clinician the clinic registered, with the verdicts on
// their credentials.
type StaffMember struct {
	Key         chain.PublicKey
	Role        chain.Role
	Credentials []CredentialVerdict
	Verified    bool
}

// Expiring is a valid credential that ends soon.
type Expiring struct {
	Member     chain.PublicKey
	Credential CredentialVerdict
	In         time.Duration
}

// Staffing is the clinic's view.
type Staffing struct {
	Members     []StaffMember
	ByKind      map[string]int // valid credentials by kind, or training name
	BySpecialty map[string]int // valid licences by specialty, from filed documents
	Within30    []Expiring     // valid credentials ending in the next 30 days, soonest first
	Within90    []Expiring     // ending in 31 to 90 days
}

// Staffing builds the view for the clinicians this clinic registered and
// has not revoked, at time now.
func (w *Wallet) Staffing(now time.Time) (Staffing, error) {
	if w.chain == nil {
		return Staffing{}, ErrNoChain
	}
	regs, err := w.ClinicianRegistrations(context.Background())
	if err != nil {
		return Staffing{}, err
	}
	st := w.chain.ledger.State()
	out := Staffing{ByKind: map[string]int{}, BySpecialty: map[string]int{}}
	at := uint64(now.Unix())
	for _, r := range regs {
		if r.Revoked {
			continue
		}
		v, err := w.verifyClinician(st, r.Key, at)
		if err != nil {
			return Staffing{}, err
		}
		m := StaffMember{Key: r.Key, Role: r.Role, Credentials: v.Credentials, Verified: v.Verified}
		out.Members = append(out.Members, m)
		for _, c := range v.Credentials {
			if !c.Valid {
				continue
			}
			out.ByKind[c.Name]++
			if c.Doc != nil && c.Doc.Specialty != "" && c.Kind != chain.KindTraining {
				out.BySpecialty[c.Doc.Specialty]++
			}
			left := c.ValidUntil.Sub(now)
			switch {
			case left <= 30*24*time.Hour:
				out.Within30 = append(out.Within30, Expiring{Member: r.Key, Credential: c, In: left})
			case left <= 90*24*time.Hour:
				out.Within90 = append(out.Within90, Expiring{Member: r.Key, Credential: c, In: left})
			}
		}
	}
	soonest := func(a, b Expiring) int { return a.Credential.ValidUntil.Compare(b.Credential.ValidUntil) }
	slices.SortFunc(out.Within30, soonest)
	slices.SortFunc(out.Within90, soonest)
	return out, nil
}
