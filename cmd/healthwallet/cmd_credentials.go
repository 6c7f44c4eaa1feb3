package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/healthwallet/healthwallet/chain"
	"github.com/healthwallet/healthwallet/chain/state"
	"github.com/healthwallet/healthwallet/internal/atomicfile"
	"github.com/healthwallet/healthwallet/wallet"
	"github.com/healthwallet/healthwallet/wallet/identity"
	"github.com/healthwallet/healthwallet/wallet/vc"
)

// Verified clinicians from the command line: clinics vote licensing
// authorities in and out; an authority issues credentials and sets their
// status; a clinician keeps its documents; anyone judges a key, and a
// clinic a candidate's document and its staff, from the local copy of the
// chain.

// exitStatus ends a command with a chosen exit status: a verdict command
// exits 1 for "no" (having printed why) and 2 when it could not judge.
type exitStatus struct {
	code int
	err  error // printed when set
}

func (e exitStatus) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func (e exitStatus) Unwrap() error { return e.err }

// cannotJudge makes an error of a verdict command exit with status 2.
func cannotJudge(err error) error {
	var es exitStatus
	if err == nil || errors.As(err, &es) {
		return err
	}
	var ue usageError
	if errors.As(err, &ue) {
		return err // usage errors already exit 2
	}
	return exitStatus{code: 2, err: err}
}

// openListing starts a command that takes no arguments and only reads the
// chain: its flags (--offline), then the wallet as openReading opens it.
func (env *cli) openListing(ctx context.Context, name string, args []string) (*wallet.Wallet, error) {
	fs := env.flags(name)
	offline := fs.Bool("offline", false, "do not contact the member nodes: use this wallet's copy of the chain")
	rest, err := env.parse(fs, args)
	if err != nil {
		return nil, err
	}
	if len(rest) != 0 {
		return nil, usageError{fmt.Sprintf("unexpected argument %q", rest[0])}
	}
	return env.openReading(ctx, *offline)
}

// openReading opens the wallet on its chain to judge from it: it catches
// up with the member nodes when it reaches them (unless offline), and
// otherwise judges from its own copy, saying so on standard error.
// Judging needs no network: credentials and prescriptions are checked
// against local state.
func (env *cli) openReading(ctx context.Context, offline bool) (*wallet.Wallet, error) {
	n, err := wallet.LoadNetwork(env.dataDir)
	if errors.Is(err, wallet.ErrNotJoined) {
		return nil, fmt.Errorf("this wallet has not joined a chain: run healthwallet join first")
	}
	if err != nil {
		return nil, err
	}
	pass, err := env.passphrase("Passphrase: ")
	if err != nil {
		return nil, err
	}
	w, err := wallet.Open(env.dataDir, pass, n.Options(walletOptions))
	if err != nil {
		return nil, err
	}
	if !offline {
		cctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		_, err = w.ConnectMembers(cctx, n.Peers)
		cancel()
		if err != nil {
			fmt.Fprintf(env.stderr, "offline: no member node answered (%v)\n", err)
			offline = true
		}
	}
	if offline {
		head := w.Ledger().Head()
		fmt.Fprintf(env.stderr, "Judging from this wallet's copy of the chain: block %d of %s.\n", head.Number, longTime(time.Unix(int64(head.Time), 0)))
	}
	return w, nil
}

func runAuthority(ctx context.Context, env *cli, args []string) error {
	if len(args) > 0 {
		switch args[0] {
		case "vote":
			return runAuthorityVote(ctx, env, args[1:])
		case "list":
			return runAuthorityList(ctx, env, args[1:])
		}
	}
	return usageError{"the authority subcommands are: vote, list"}
}

// parseKinds reads a comma-separated list of credential kinds.
func parseKinds(s string) (chain.CredentialKinds, error) {
	var kinds []chain.CredentialKind
	for _, name := range splitList(s) {
		k, err := chain.ParseCredentialKind(strings.ToLower(name))
		if err != nil {
			return 0, usageError{fmt.Sprintf("unknown credential kind %q: give physician, nurse, pharmacist, prescriber or training", name)}
		}
		kinds = append(kinds, k)
	}
	return chain.KindsOf(kinds...), nil
}

func kindNames(ks chain.CredentialKinds) string {
	var names []string
	for _, k := range ks.Kinds() {
		names = append(names, k.String())
	}
	return strings.Join(names, ", ")
}

// runAuthorityVote is a clinic's vote to admit (or change) or remove a
// licensing authority.
func runAuthorityVote(ctx context.Context, env *cli, args []string) error {
	fs := env.flags("authority vote")
	admit := fs.String("admit", "", "vote to admit the authority with this `key` (Health Wallet ID or chain key), or to change its name or kinds")
	remove := fs.String("remove", "", "vote to remove the authority with this `key`")
	name := fs.String("name", "", "the authority's `name`, as patients and pharmacists will read it (with --admit)")
	kindList := fs.String("kinds", "", "what it may issue, comma-separated: physician, nurse, pharmacist, prescriber, training (with --admit)")
	rest, err := env.parse(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 0 {
		return usageError{fmt.Sprintf("unexpected argument %q", rest[0])}
	}
	if (*admit == "") == (*remove == "") {
		return usageError{"give --admit KEY or --remove KEY"}
	}
	keyText := *admit + *remove
	key, err := wallet.ParseClinicianKey(keyText)
	if err != nil {
		return usageError{fmt.Sprintf("%q is neither a Health Wallet ID nor a chain key", keyText)}
	}
	var kinds chain.CredentialKinds
	if *admit != "" {
		if strings.TrimSpace(*name) == "" || *kindList == "" {
			return usageError{"with --admit, give --name and --kinds"}
		}
		if kinds, err = parseKinds(*kindList); err != nil {
			return err
		}
	} else if *name != "" || *kindList != "" {
		return usageError{"--name and --kinds go with --admit"}
	}
	w, done, err := env.openOnChain(ctx)
	if err != nil {
		return err
	}
	defer done()
	if err := w.VoteAuthority(ctx, key, *admit != "", *name, kinds); err != nil {
		return err
	}
	fmt.Fprintln(env.stdout, voteOutcome(w, key, *admit != "", strings.TrimSpace(*name), kinds))
	return nil
}

// voteOutcome says where the vote left the authority.
func voteOutcome(w *wallet.Wallet, key chain.PublicKey, admit bool, name string, kinds chain.CredentialKinds) string {
	signers := len(w.Ledger().Signers())
	needed := signers/2 + 1
	a, err := w.Ledger().State().Authority(key)
	if err == nil && a.Admitted == admit && (!admit || a.Name == name && a.Kinds == kinds) {
		if admit {
			return fmt.Sprintf("Admitted: %s may issue %s credentials (block %d).", a.Name, kindNames(a.Kinds), a.Block)
		}
		return fmt.Sprintf("Removed: %s is no longer an admitted authority; the credentials it issued no longer count (block %d).", a.Name, a.Block)
	}
	votes, _ := w.AuthorityVotes()
	same := 0
	for _, v := range votes {
		if v.Authority == key && v.Admit == admit && (!admit || v.Name == name && v.Kinds == kinds) {
			same++
		}
	}
	what := "remove it"
	if admit {
		what = fmt.Sprintf("admit %s for %s", name, kindNames(kinds))
	}
	return fmt.Sprintf("Vote recorded: %d of %d clinics voted to %s; it takes %d.", same, signers, what, needed)
}

func runAuthorityList(ctx context.Context, env *cli, args []string) error {
	w, err := env.openListing(ctx, "authority list", args)
	if err != nil {
		return err
	}
	defer w.Close()
	auths, err := w.Authorities()
	if err != nil {
		return err
	}
	votes, err := w.AuthorityVotes()
	if err != nil {
		return err
	}
	if len(auths) == 0 {
		fmt.Fprintln(env.stdout, "No licensing authority has been admitted on this chain.")
	} else {
		tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "AUTHORITY\tMAY ISSUE\tSTANDING\tKEY")
		for _, a := range auths {
			standing := "admitted " + day(a.Time)
			if !a.Admitted {
				standing = "removed " + day(a.Time)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", a.Name, kindNames(a.Kinds), standing, identity.IDFromSigningKey(a.Key[:]))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if len(votes) == 0 {
		return nil
	}
	fmt.Fprintf(env.stdout, "\nOpen votes (a change takes %d of %d clinics):\n", len(w.Ledger().Signers())/2+1, len(w.Ledger().Signers()))
	tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "AUTHORITY\tVOTE\tBY\tBLOCK")
	for _, v := range votes {
		vote := "remove"
		if v.Admit {
			vote = fmt.Sprintf("admit %q for %s", v.Name, kindNames(v.Kinds))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\n", identity.IDFromSigningKey(v.Authority[:]), vote, clinicLabel(w, v.Voter), v.Block)
	}
	return tw.Flush()
}

// clinicLabel names a clinic by the genesis, else by a short key.
func clinicLabel(w *wallet.Wallet, k chain.PublicKey) string {
	if name := w.ClinicName(k); name != "" {
		return name
	}
	return keyPrefix(k)
}

func runCredential(ctx context.Context, env *cli, args []string) error {
	if len(args) > 0 {
		switch args[0] {
		case "issue":
			return runCredentialIssue(ctx, env, args[1:])
		case "status":
			return runCredentialStatus(ctx, env, args[1:])
		case "add":
			return runCredentialAdd(ctx, env, args[1:])
		case "list":
			return runCredentialList(ctx, env, args[1:])
		case "check":
			return runCredentialCheck(ctx, env, args[1:])
		}
	}
	return usageError{"the credential subcommands are: issue, status, add, list, check"}
}

// parseDate reads a day (2006-01-02, at 00:00 UTC) or an RFC 3339 time.
func parseDate(flagName, s string) (time.Time, error) {
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	return time.Time{}, usageError{fmt.Sprintf("--%s %q: give a date as YYYY-MM-DD or an RFC 3339 time", flagName, s)}
}

// runCredentialIssue (an authority) issues a credential, anchors it and
// writes the document for the clinician.
func runCredentialIssue(ctx context.Context, env *cli, args []string) error {
	fs := env.flags("credential issue")
	to := fs.String("to", "", "the clinician's Health Wallet `ID` (or chain key)")
	kind := fs.String("kind", "", "physician, nurse, pharmacist, prescriber, or a training's `name` (\"MRI safety\")")
	licence := fs.String("licence", "", "the licence `number` (required for a licence, optional for a training)")
	jurisdiction := fs.String("jurisdiction", "", "where it is valid (\"NL\", \"US-CA\")")
	specialty := fs.String("specialty", "", "the clinician's specialty, if any")
	from := fs.String("from", "", "valid from this `date` (YYYY-MM-DD, 00:00 UTC; default today)")
	until := fs.String("until", "", "valid until this `date` (YYYY-MM-DD, 00:00 UTC: no longer valid from that day)")
	out := fs.String("out", "", "write the credential document (JSON) to `file` (default: standard output)")
	rest, err := env.parse(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 0 {
		return usageError{fmt.Sprintf("unexpected argument %q", rest[0])}
	}
	if *to == "" || strings.TrimSpace(*kind) == "" || *until == "" {
		return usageError{"give --to, --kind and --until"}
	}
	subject, err := wallet.ParseClinicianKey(*to)
	if err != nil {
		return usageError{fmt.Sprintf("--to %q is neither a Health Wallet ID nor a chain key", *to)}
	}
	r := wallet.CredentialRequest{Subject: subject, Kind: strings.TrimSpace(*kind), LicenceNumber: *licence,
		Jurisdiction: *jurisdiction, Specialty: *specialty, ValidFrom: time.Now().UTC().Truncate(24 * time.Hour)}
	if *from != "" {
		if r.ValidFrom, err = parseDate("from", *from); err != nil {
			return err
		}
	}
	if r.ValidUntil, err = parseDate("until", *until); err != nil {
		return err
	}
	if !r.ValidUntil.After(r.ValidFrom) {
		return usageError{"--until must be after --from"}
	}
	w, done, err := env.openOnChain(ctx)
	if err != nil {
		return err
	}
	defer done()
	hc, err := w.IssueCredential(ctx, r)
	if err != nil {
		return err
	}
	if *out == "" {
		if _, err := env.stdout.Write(append(hc.Doc, '\n')); err != nil {
			return err
		}
	} else if err := atomicfile.WriteFile(*out, hc.Doc, 0o644); err != nil {
		return fmt.Errorf("credential %s is on the ledger, but its document was not written: %w", hc.Hash, err)
	}
	fmt.Fprintf(env.stderr, "Issued %s to %s, anchored on the ledger: credential %s\n", describeCredential(hc.Verdict), identity.IDFromSigningKey(subject[:]), hc.Hash)
	if *out != "" {
		fmt.Fprintf(env.stderr, "Give %s to the clinician, who keeps it with: healthwallet credential add %s\n", *out, *out)
	}
	return nil
}

// runCredentialStatus (the issuing authority) suspends, reinstates or
// revokes a credential.
func runCredentialStatus(ctx context.Context, env *cli, args []string) error {
	fs := env.flags("credential status")
	rest, err := env.parse(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 2 {
		return usageError{"give the credential's hash and active, suspended or revoked"}
	}
	h, err := parseHash(rest[0])
	if err != nil {
		return err
	}
	status, err := chain.ParseCredentialStatus(strings.ToLower(rest[1]))
	if err != nil {
		return usageError{fmt.Sprintf("status %q: give active, suspended or revoked", rest[1])}
	}
	w, done, err := env.openOnChain(ctx)
	if err != nil {
		return err
	}
	defer done()
	if status == chain.StatusRevoked {
		fmt.Fprintln(env.stderr, "Revoking is final: a revoked credential cannot be reinstated.")
	}
	if err := w.SetCredentialStatus(ctx, h, status); err != nil {
		return err
	}
	c, err := w.Ledger().State().Credential(h)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "Credential %s is now %s (block %d); every node judges it so from its own copy of the chain.\n", h, c.Status, w.Ledger().Head().Number)
	return nil
}

// readDocument reads a credential document from a file, or standard input
// for "-", bounded by the largest document there is.
func (env *cli) readDocument(path string) ([]byte, error) {
	var r io.Reader = env.stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, vc.MaxDocumentSize+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(b) > vc.MaxDocumentSize {
		return nil, fmt.Errorf("%s: larger than any credential document (%d bytes at most)", path, vc.MaxDocumentSize)
	}
	return b, nil
}

// oneFile is the one file argument of a command.
func oneFile(rest []string, what string) (string, error) {
	if len(rest) != 1 {
		return "", usageError{"give " + what}
	}
	return rest[0], nil
}

// runCredentialAdd (a clinician) keeps a credential document issued to it.
func runCredentialAdd(ctx context.Context, env *cli, args []string) error {
	fs := env.flags("credential add")
	rest, err := env.parse(fs, args)
	if err != nil {
		return err
	}
	path, err := oneFile(rest, "the credential document's file (or - for standard input)")
	if err != nil {
		return err
	}
	doc, err := env.readDocument(path)
	if err != nil {
		return err
	}
	w, err := env.openReading(ctx, false)
	if err != nil {
		return err
	}
	defer w.Close()
	hc, err := w.AddCredential(ctx, doc)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "Kept: %s\n", describeCredential(hc.Verdict))
	printCredential(env.stdout, hc.Verdict, true)
	return nil
}

// runCredentialList lists this wallet's credentials, or an authority's
// issued ones, with what the chain says of each.
func runCredentialList(ctx context.Context, env *cli, args []string) error {
	fs := env.flags("credential list")
	issued := fs.Bool("issued", false, "list the credentials this wallet issued (an authority)")
	offline := fs.Bool("offline", false, "do not contact the member nodes: use this wallet's copy of the chain")
	rest, err := env.parse(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 0 {
		return usageError{fmt.Sprintf("unexpected argument %q", rest[0])}
	}
	w, err := env.openReading(ctx, *offline)
	if err != nil {
		return err
	}
	defer w.Close()
	var held []wallet.HeldCredential
	if *issued {
		held, err = w.IssuedCredentials()
	} else {
		held, err = w.Credentials()
	}
	if err != nil {
		return err
	}
	if len(held) == 0 {
		if *issued {
			fmt.Fprintln(env.stdout, "This wallet has issued no credentials.")
		} else {
			fmt.Fprintln(env.stdout, "No credentials kept in this wallet (keep one with: healthwallet credential add FILE).")
		}
		return nil
	}
	for i, hc := range held {
		if i > 0 {
			fmt.Fprintln(env.stdout)
		}
		printCredential(env.stdout, hc.Verdict, true)
		if *issued {
			fmt.Fprintf(env.stdout, "    issued to %s\n", subjectID(hc.VC))
		}
	}
	return nil
}

// subjectID is the Health Wallet ID of a credential's subject.
func subjectID(c vc.Credential) string {
	pub, err := vc.PublicKeyFromDIDKey(c.Subject)
	if err != nil {
		return c.Subject
	}
	return identity.IDFromSigningKey(pub).String()
}

// runCredentialCheck (a clinic, hiring or promoting) judges a candidate's
// document: its proof and what the chain says of it, then the candidate's
// standing overall. With --keep a clinic files it for its staffing view.
func runCredentialCheck(ctx context.Context, env *cli, args []string) error {
	fs := env.flags("credential check")
	keep := fs.Bool("keep", false, "file the document with this clinic's staff credentials (for the staffing view)")
	offline := fs.Bool("offline", false, "do not contact the member nodes: use this wallet's copy of the chain")
	rest, err := env.parse(fs, args)
	if err != nil {
		return err
	}
	path, err := oneFile(rest, "the credential document's file (or - for standard input)")
	if err != nil {
		return err
	}
	doc, err := env.readDocument(path)
	if err != nil {
		return err
	}
	w, err := env.openReading(ctx, *offline)
	if err != nil {
		return err
	}
	defer w.Close()
	hc, err := w.CheckCredentialDocument(doc)
	if errors.Is(err, wallet.ErrCredentialDocument) {
		fmt.Fprintln(env.stdout, "NOT VALID — not a genuine credential document")
		fmt.Fprintf(env.stdout, "✗ %v\n", err)
		return exitStatus{code: 1}
	}
	if err != nil {
		return cannotJudge(err)
	}
	v := hc.Verdict
	if v.Valid {
		fmt.Fprintf(env.stdout, "VALID — %s\n", describeCredential(v))
	} else {
		fmt.Fprintf(env.stdout, "NOT VALID — %s: %s\n", describeCredential(v), strings.Join(v.Reasons, "; "))
	}
	fmt.Fprintf(env.stdout, "✓ the authority's signature on the document verifies\n")
	printCredential(env.stdout, v, true)
	fmt.Fprintf(env.stdout, "    issued to %s\n", subjectID(hc.VC))
	if subject, err := vc.PublicKeyFromDIDKey(hc.VC.Subject); err == nil {
		if cv, err := w.VerifyClinician(chain.PublicKey(subject)); err == nil {
			fmt.Fprintf(env.stdout, "\nThe candidate overall: %s (%d credentials on the ledger)\n", cv.Summary, len(cv.Credentials))
		}
	}
	if *keep {
		if !v.Valid {
			return exitStatus{code: 1, err: errors.New("not filed: the credential is not valid")}
		}
		if _, err := w.AddStaffCredential(ctx, doc); err != nil {
			return cannotJudge(err)
		}
		fmt.Fprintln(env.stdout, "Filed with this clinic's staff credentials.")
	}
	if !v.Valid {
		return exitStatus{code: 1}
	}
	return nil
}

// runVerifyClinician prints what the local copy of the chain says of a
// key: the verdict first, then every credential with why it counts or
// not. Exit status 0: verified; 1: not; 2: could not judge.
func runVerifyClinician(ctx context.Context, env *cli, args []string) error {
	fs := env.flags("verify-clinician")
	offline := fs.Bool("offline", false, "do not contact the member nodes: judge from this wallet's copy of the chain")
	rest, err := env.parse(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return usageError{"give the clinician's Health Wallet ID (or chain key)"}
	}
	key, err := wallet.ParseClinicianKey(rest[0])
	if err != nil {
		return usageError{fmt.Sprintf("%q is neither a Health Wallet ID nor a chain key", rest[0])}
	}
	w, err := env.openReading(ctx, *offline)
	if err != nil {
		return cannotJudge(err)
	}
	defer w.Close()
	v, err := w.VerifyClinician(key)
	if err != nil {
		return cannotJudge(err)
	}
	printClinicianVerdict(env.stdout, w, v)
	if !v.Verified {
		return exitStatus{code: 1}
	}
	return nil
}

// printClinicianVerdict prints a key's verdict, its registration and each
// credential.
func printClinicianVerdict(out io.Writer, w *wallet.Wallet, v wallet.ClinicianVerdict) {
	if v.Verified {
		fmt.Fprintf(out, "VERIFIED — %s\n", v.Summary)
	} else {
		fmt.Fprintf(out, "NOT VERIFIED — %s\n", v.Summary)
	}
	fmt.Fprintf(out, "Clinician %s\n", identity.IDFromSigningKey(v.Key[:]))
	cl, err := w.Ledger().State().Clinician(v.Key)
	switch {
	case err == nil && !cl.Revoked:
		fmt.Fprintf(out, "Registered as %s by %s (block %d)\n", roleName(cl.Role), clinicLabel(w, cl.Clinic), cl.RegisteredBlock)
	case err == nil:
		fmt.Fprintf(out, "Registration as %s by %s revoked (block %d)\n", roleName(cl.Role), clinicLabel(w, cl.Clinic), cl.RevokedBlock)
	case errors.Is(err, state.ErrNotFound):
		fmt.Fprintln(out, "Not registered by any clinic on this chain")
	}
	head := w.Ledger().Head()
	fmt.Fprintf(out, "From this wallet's copy of the chain: block %d, %s\n", head.Number, longTime(time.Unix(int64(head.Time), 0)))
	if len(v.Credentials) == 0 {
		return
	}
	fmt.Fprintln(out)
	for _, c := range v.Credentials {
		printCredential(out, c, false)
	}
}

// describeCredential names a credential in a few words: "physician licence
// DEMO-MD-1001, Demo Medical Board".
func describeCredential(v wallet.CredentialVerdict) string {
	s := v.Name
	if v.Kind != chain.KindTraining {
		s += " licence"
	} else {
		s += " training"
	}
	if v.Doc != nil && v.Doc.LicenceNumber != "" {
		s += " " + v.Doc.LicenceNumber
	}
	if v.IssuerName != "" {
		s += ", " + v.IssuerName
	}
	return s
}

// printCredential prints one credential: ✓ or ✗, what it is, its dates,
// the document's details when known, and why it does not count.
func printCredential(out io.Writer, v wallet.CredentialVerdict, withHash bool) {
	mark := "✓"
	if !v.Valid {
		mark = "✗"
	}
	issuer := v.IssuerName
	if issuer == "" {
		issuer = "issuer " + keyPrefix(v.Issuer)
	}
	name := v.Name
	if v.Kind == chain.KindTraining && v.Doc == nil {
		name = "training certificate" // its name is in the document, not on the chain
	}
	fmt.Fprintf(out, "%s %s, %s — valid %s to %s, %s\n", mark, name, issuer, day(uint64(v.ValidFrom.Unix())), day(uint64(v.ValidUntil.Unix())), statusName(v.Status))
	if d := v.Doc; d != nil {
		var parts []string
		if d.LicenceNumber != "" {
			parts = append(parts, "licence "+d.LicenceNumber)
		}
		for _, p := range []string{d.Specialty, d.Jurisdiction} {
			if p != "" {
				parts = append(parts, p)
			}
		}
		if len(parts) > 0 {
			fmt.Fprintf(out, "    %s\n", strings.Join(parts, ", "))
		}
	}
	for _, r := range v.Reasons {
		fmt.Fprintf(out, "    ✗ %s\n", r)
	}
	if withHash {
		fmt.Fprintf(out, "    credential %s\n", v.Hash)
	}
}

func statusName(s chain.CredentialStatus) string {
	if !s.Valid() {
		return "not on the ledger"
	}
	return s.String()
}

func day(unix uint64) string { return time.Unix(int64(unix), 0).UTC().Format("2 Jan 2006") }

func longTime(t time.Time) string { return t.UTC().Format("2 Jan 2006 15:04 MST") }

// runStaffing prints a clinic's staffing view: its clinicians by kind and
// specialty, and what ends in the next 30 and 90 days, from credentials
// only.
func runStaffing(ctx context.Context, env *cli, args []string) error {
	w, err := env.openListing(ctx, "staffing", args)
	if err != nil {
		return err
	}
	defer w.Close()
	now := time.Now()
	s, err := w.Staffing(now)
	if err != nil {
		return err
	}
	verified := 0
	for _, m := range s.Members {
		if m.Verified {
			verified++
		}
	}
	fmt.Fprintf(env.stdout, "Staffing on %s: %s registered by this clinic, %d with a valid licence\n", day(uint64(now.Unix())), plural(len(s.Members), "clinician", "clinicians"), verified)
	if len(s.Members) == 0 {
		return nil
	}
	fmt.Fprintln(env.stdout)
	tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CLINICIAN\tROLE\tLICENSED\tVALID CREDENTIALS\tNOT VALID")
	for _, m := range s.Members {
		var valid, invalid []string
		for _, c := range m.Credentials {
			if c.Valid {
				valid = append(valid, c.Name)
			} else {
				invalid = append(invalid, c.Name+" ("+c.Reasons[0]+")")
			}
		}
		licensed := "no"
		if m.Verified {
			licensed = "yes"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", identity.IDFromSigningKey(m.Key[:]), roleName(m.Role), licensed,
			orNone(strings.Join(valid, ", ")), strings.Join(invalid, "; "))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "\nValid credentials by kind: %s\n", counts(s.ByKind))
	fmt.Fprintf(env.stdout, "By specialty (from filed documents): %s\n", counts(s.BySpecialty))
	for _, group := range []struct {
		title string
		list  []wallet.Expiring
	}{{"Ending within 30 days", s.Within30}, {"Ending in 31 to 90 days", s.Within90}} {
		if len(group.list) == 0 {
			fmt.Fprintf(env.stdout, "%s: none\n", group.title)
			continue
		}
		fmt.Fprintf(env.stdout, "%s:\n", group.title)
		for _, e := range group.list {
			fmt.Fprintf(env.stdout, "  %s  %s, %s, ends %s (in %s)\n", identity.IDFromSigningKey(e.Member[:]), e.Credential.Name,
				orNone(e.Credential.IssuerName), day(uint64(e.Credential.ValidUntil.Unix())), plural(int((e.In+12*time.Hour)/(24*time.Hour)), "day", "days"))
		}
	}
	return nil
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// counts prints a tally sorted by name: "MRI safety 1, physician 3".
func counts(m map[string]int) string {
	if len(m) == 0 {
		return "none"
	}
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	slices.Sort(names)
	parts := make([]string, len(names))
	for i, k := range names {
		parts[i] = fmt.Sprintf("%s %d", k, m[k])
	}
	return strings.Join(parts, ", ")
}
