package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/healthwallet/healthwallet/chain"
	"github.com/healthwallet/healthwallet/internal/atomicfile"
	"github.com/healthwallet/healthwallet/wallet"
	"github.com/healthwallet/healthwallet/wallet/fhir"
	"github.com/healthwallet/healthwallet/wallet/identity"
)

// runEmergency is `healthwallet emergency`: a patient authorises (or
// withdraws) an emergency summary the clinics can open together for a
// clinician; a clinician opens one, on the record.
func runEmergency(ctx context.Context, env *cli, args []string) error {
	if len(args) > 0 {
		switch args[0] {
		case "authorize", "authorise":
			return runEmergencyAuthorize(ctx, env, args[1:])
		case "open":
			return runEmergencyOpen(ctx, env, args[1:])
		case "withdraw":
			return runEmergencyWithdraw(ctx, env, args[1:])
		}
	}
	return usageError{"the emergency subcommands are: authorize, open, withdraw"}
}

func runEmergencyAuthorize(ctx context.Context, env *cli, args []string) error {
	fs := env.flags("emergency authorize")
	var extras fhir.EmergencyExtras
	fs.StringVar(&extras.BloodGroup, "blood-group", "", "your blood `group`: A+, A-, B+, B-, AB+, AB-, O+ or O-")
	fs.StringVar(&extras.ContactName, "contact-name", "", "your emergency contact's `name`")
	fs.StringVar(&extras.ContactPhone, "contact-phone", "", "your emergency contact's `phone` number")
	fs.StringVar(&extras.ContactRelationship, "contact-relationship", "", "who the contact is to you (spouse, parent, …)")
	rest, err := env.parse(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 0 {
		return usageError{fmt.Sprintf("unexpected argument %q", rest[0])}
	}
	w, done, err := env.openOnChain(ctx)
	if err != nil {
		return err
	}
	defer done()
	a, err := w.AuthorizeEmergency(ctx, extras)
	if errors.Is(err, wallet.ErrNoClinicKeys) {
		return fmt.Errorf("%w (a clinic's node publishes its key once it runs as a signer: try again shortly)", err)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "Emergency summary: %s\n", strings.Join(a.Summary.Contents(), ", "))
	fmt.Fprintf(env.stdout, "Its key is split among %d clinics: any %d of them together can open it for a registered clinician, and each access is recorded on the chain.\n", a.Holders, a.Threshold)
	fmt.Fprintf(env.stdout, "Authorization %s (withdraw with: healthwallet emergency withdraw %s)\n", a.Authorization, a.Authorization)
	return settle(ctx, env, w)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

func runEmergencyOpen(ctx context.Context, env *cli, args []string) error {
	fs := env.flags("emergency open")
	patient := fs.String("patient", "", "the patient's Health Wallet `ID`")
	purposeName := fs.String("purpose", "ETREAT", "ETREAT (emergency treatment) or BTG (break the glass)")
	note := fs.String("note", "", "why, for the patient and the record")
	out := fs.String("out", "", "write the summary (FHIR Bundle JSON) to `file` instead of standard output")
	wait := fs.Duration("wait", 2*time.Minute, "how long to wait for the clinics to release their key shares")
	rest, err := env.parse(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 0 {
		return usageError{fmt.Sprintf("unexpected argument %q", rest[0])}
	}
	id, err := identity.ParseID(*patient)
	if err != nil {
		return usageError{"give --patient with the patient's Health Wallet ID"}
	}
	purpose, err := chain.ParsePurpose(*purposeName)
	if err != nil || (purpose != chain.PurposeETREAT && purpose != chain.PurposeBTG) {
		return usageError{"--purpose is ETREAT or BTG"}
	}
	if *wait <= 0 {
		return usageError{"--wait must be positive"}
	}
	w, done, err := env.openOnChain(ctx)
	if err != nil {
		return err
	}
	defer done()
	access, err := w.OpenEmergency(ctx, chain.PublicKey(id.SigningKey()), purpose, *note)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stderr, "Emergency access %s is recorded on the chain, in your name; the patient will be alerted.\n", access)
	fmt.Fprintf(env.stderr, "waiting up to %v for the clinics to release their key shares…\n", *wait)
	wctx, cancel := context.WithTimeout(ctx, *wait)
	defer cancel()
	summary, err := w.EmergencySummary(wctx, access)
	if err != nil {
		return fmt.Errorf("%w (access %s stays on the record)", err, access)
	}
	if *out == "" {
		_, err = env.stdout.Write(summary)
		return err
	}
	if err := atomicfile.WriteFile(*out, summary, 0o600); err != nil {
		return err
	}
	fmt.Fprintf(env.stderr, "Emergency summary saved to %s\n", *out)
	return nil
}

func runEmergencyWithdraw(ctx context.Context, env *cli, args []string) error {
	err := answer(ctx, env, env.flags("emergency withdraw"), "the authorization ID", args, func(w *wallet.Wallet, h chain.Hash) error { return w.Revoke(ctx, h) })
	if err != nil {
		return err
	}
	fmt.Fprintln(env.stdout, "Withdrawn. No clinician can open your emergency summary any more; what was opened before cannot be recalled.")
	return nil
}

// runAlerts lists the emergency accesses to the patient's summary, then
// marks them seen.
func runAlerts(ctx context.Context, env *cli, args []string) error {
	fs := env.flags("alerts")
	all := fs.Bool("all", false, "list every emergency access, also those already seen")
	rest, err := env.parse(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 0 {
		return usageError{fmt.Sprintf("unexpected argument %q", rest[0])}
	}
	w, done, err := env.openOnChainQuiet(ctx)
	if err != nil {
		return err
	}
	defer done()
	alerts, err := w.EmergencyAlerts(ctx, *all)
	if err != nil {
		return err
	}
	if len(alerts) == 0 {
		if *all {
			fmt.Fprintln(env.stdout, "No clinician has opened your emergency summary.")
		} else {
			fmt.Fprintln(env.stdout, "No new emergency accesses.")
		}
		return nil
	}
	tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "WHEN\tCLINICIAN\tROLE\tCLINIC\tPURPOSE\tRELEASES\tNOTE")
	var last uint64
	for _, a := range alerts {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s\n", alertTime(a.Time), identity.IDFromSigningKey(a.Clinician[:]), roleName(a.Role),
			keyPrefix(a.Clinic), a.Purpose, a.Releases, a.Note)
		last = max(last, a.Block)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	return w.AcknowledgeEmergencyAlerts(last)
}

// warnEmergencyAlerts prints the emergency accesses the owner has not
// acknowledged, one line each, on standard error; nothing when there are
// none. It does not acknowledge them: 'healthwallet alerts' does.
func (env *cli) warnEmergencyAlerts(ctx context.Context, w *wallet.Wallet) {
	alerts, err := w.EmergencyAlerts(ctx, false)
	if err != nil {
		slog.Debug("emergency alerts", "err", err)
		return
	}
	for _, a := range alerts {
		note := ""
		if a.Note != "" {
			note = fmt.Sprintf(", note %q", a.Note)
		}
		fmt.Fprintf(env.stderr, "EMERGENCY ACCESS: %s by %s (%s, clinic %s), %s%s, %d key shares released; see 'healthwallet alerts'\n",
			alertTime(a.Time), identity.IDFromSigningKey(a.Clinician[:]), roleName(a.Role), keyPrefix(a.Clinic), a.Purpose, note, a.Releases)
	}
}

func alertTime(t time.Time) string {
	if t.IsZero() {
		return "?"
	}
	return t.UTC().Format("2006-01-02 15:04 MST")
}

func roleName(r chain.Role) string {
	if !r.Valid() {
		return "?"
	}
	return r.String()
}

// keyPrefix shortens a clinic's key for a table.
func keyPrefix(k chain.PublicKey) string {
	if k.IsZero() {
		return "?"
	}
	return k.String()[:12] + "…"
}
