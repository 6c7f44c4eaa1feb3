package main

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/healthwallet/healthwallet/internal/atomicfile"
)

// runAudit prints the patient's audit log from the chain, or writes it as
// a FHIR R4 Bundle.
func runAudit(ctx context.Context, env *cli, args []string) error {
	fs := env.flags("audit")
	out := fs.String("fhir", "", "write the log as a FHIR R4 Bundle (AuditEvent, Consent, Provenance) to this `file`")
	if _, err := env.parse(fs, args); err != nil {
		return err
	}
	w, done, err := env.openOnChain(ctx)
	if err != nil {
		return err
	}
	defer done()
	if *out != "" {
		b, err := w.ExportAuditFHIR(ctx)
		if err != nil {
			return err
		}
		if err := atomicfile.WriteFile(*out, b, 0o600); err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "wrote %s (%d bytes)\n", *out, len(b))
		return nil
	}
	log, err := w.AuditLog(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "WHEN (UTC)\tWHAT\tWHO\tROLE\tOTHER\tPURPOSE\tSCOPE\tNOTE")
	for _, e := range log {
		other := ""
		if e.Other != nil {
			other = short(e.Other.ID)
		}
		role := e.Actor.Role
		if role == "" {
			role = e.Actor.Kind
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.Recorded.Format("2006-01-02 15:04:05"), e.Action, short(e.Actor.ID),
			role, other, e.Purpose, strings.Join(e.Scope, ","), e.Note)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(log) == 0 {
		fmt.Fprintln(env.stdout, "nothing has happened to your records on the chain yet")
	}
	return nil
}

// short abbreviates a Health Wallet ID for a table.
func short(id string) string {
	if len(id) > 16 {
		return id[:16] + "…"
	}
	return id
}
