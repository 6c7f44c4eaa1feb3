// Command benchreport runs the project's benchmarks and writes BENCHMARKS.md:
// the machine, every figure, and the ratios the issues set goals for.
//
//	go run ./internal/benchreport -out BENCHMARKS.md
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"
)

// goal is one figure an issue sets a target for: a metric of a benchmark,
// or, with denom set, that metric as a percentage of another benchmark's in
// the same run. denom names a benchmark of the same package, or of another
// as "pkg:BenchmarkName".
type goal struct {
	what   string
	pkg    string
	bench  string // without the -N suffix
	denom  string
	metric string
	target string
	// denomMetric is the denominator's metric when it differs from metric.
	denomMetric string
}

var goals = []goal{
	{"record encryption vs raw XChaCha20-Poly1305 (same loop, 1 MiB)", "wallet/envelope", "BenchmarkVsRaw/1MiB", "", "enc%raw", "≥ 90 %", ""},
	{"record decryption vs raw XChaCha20-Poly1305 (same loop, 1 MiB)", "wallet/envelope", "BenchmarkVsRaw/1MiB", "", "dec-push%raw", "≥ 90 %", ""},
	{"record encryption vs raw XChaCha20-Poly1305 (same loop, 64 MiB)", "wallet/envelope", "BenchmarkVsRaw/64MiB", "", "enc%raw", "≥ 90 %", ""},
	{"record decryption vs raw XChaCha20-Poly1305 (same loop, 64 MiB)", "wallet/envelope", "BenchmarkVsRaw/64MiB", "", "dec-push%raw", "≥ 90 %", ""},
	{"record encryption MB/s vs raw Seal on one hot chunk (64 MiB)", "wallet/envelope", "BenchmarkEncrypt/64MiB", "BenchmarkRawXChaCha20Poly1305/Seal", "MB/s", "≥ 90 %", ""},
	{"record decryption MB/s vs raw Open on one hot chunk (64 MiB)", "wallet/envelope", "BenchmarkDecrypt/stream/64MiB", "BenchmarkRawXChaCha20Poly1305/Open", "MB/s", "≥ 90 %", ""},
	{"record encryption MB/s vs raw Seal over the same 64 MiB", "wallet/envelope", "BenchmarkEncrypt/64MiB", "BenchmarkRawXChaCha20Poly1305/Seal/64MiB", "MB/s", "≥ 90 %", ""},
	{"record decryption MB/s vs raw Open over the same 64 MiB", "wallet/envelope", "BenchmarkDecrypt/stream/64MiB", "BenchmarkRawXChaCha20Poly1305/Open/64MiB", "MB/s", "≥ 90 %", ""},
	{"FHIR import, Synthea bulk-10-patients (7,160 resources)", "wallet", "BenchmarkImportBulk", "", "resources/s", "measured", ""},
	{"our node Add vs kubo `ipfs add` over its HTTP API, 1 MiB", "ipfs", "BenchmarkNodeAdd/1MiB", "BenchmarkKuboAdd/http/1MiB", "MB/s", "≥ 100 %", ""},
	{"our node Add vs kubo `ipfs add` over its HTTP API, 100 MiB", "ipfs", "BenchmarkNodeAdd/100MiB", "BenchmarkKuboAdd/http/100MiB", "MB/s", "≥ 100 %", ""},
	{"our node Add vs kubo `ipfs add` CLI, 1 MiB", "ipfs", "BenchmarkNodeAdd/1MiB", "BenchmarkKuboAdd/cli/1MiB", "MB/s", "≥ 100 %", ""},
	{"our node Add vs kubo `ipfs add` CLI, 100 MiB", "ipfs", "BenchmarkNodeAdd/100MiB", "BenchmarkKuboAdd/cli/100MiB", "MB/s", "≥ 100 %", ""},
	{"fetch ours→ours vs kubo→kubo (HTTP cat), 1 MiB", "ipfs", "BenchmarkInteropFetch/ours-ours/1MiB", "BenchmarkKuboFetch/http/1MiB", "MB/s", "≥ 100 %", ""},
	{"fetch ours→ours vs kubo→kubo (HTTP cat), 100 MiB", "ipfs", "BenchmarkInteropFetch/ours-ours/100MiB", "BenchmarkKuboFetch/http/100MiB", "MB/s", "≥ 100 %", ""},
	{"block verification (100 txs) vs Ed25519 verifications on all cores", "chain", "BenchmarkBlockVerify", "BenchmarkEd25519VerifyParallel", "tx/s", "≥ 50 %", "verify/s"},
	{"state layer alone: verify, then commit, one 100-tx block at a time, no overlap, vs Ed25519 on all cores", "chain/state", "BenchmarkVerifyAndApplyBlock", "BenchmarkEd25519VerifyAllCores", "tx/s", "measured", "verify/s"},
	{"chain: verify+commit tx/s (100-tx blocks) vs Ed25519 limit — InsertBlock, one gossiped block at a time (one fsync pair each)", "chain/ledger", "BenchmarkInsertBlock100", "chain/state:BenchmarkEd25519VerifyAllCores", "tx/s", "measured", "verify/s"},
	{"chain: verify+commit tx/s on one node (100-tx blocks) vs Ed25519 limit — InsertBlocks: signatures verified while the previous group commits, 32 blocks per commit", "chain/ledger", "BenchmarkInsertBlocks100", "chain/state:BenchmarkEd25519VerifyAllCores", "tx/s", "≥ 50 %", "verify/s"},
	{"chain: sync replay of 10,000 × 100-tx blocks, tx/s vs limit", "chain/ledger", "BenchmarkSync10000x100", "chain/state:BenchmarkEd25519VerifyAllCores", "tx/s", "≥ 50 %", "verify/s"},
	{"chain: block propagation, publish to both other nodes' heads (3 nodes, loopback, 100-tx block)", "chain/p2p", "BenchmarkBlockPropagation3Nodes", "", "ms/propagation", "measured", ""},
	{"chain: sync replay of 10,000 × 100-tx blocks, wall time", "chain/ledger", "BenchmarkSync10000x100", "", "s/replay", "measured", ""},
	{"unlock: Argon2id 64 MiB, t=3, p=4 (ns)", "wallet/keystore", "BenchmarkUnlock", "", "ns/op", "under 1 s", ""},
	{"start-up: launch to an interactive unlocked window, 10,000 records (`gui --unlock`, Argon2id included, Xvfb)", "cmd/healthwallet", "BenchmarkStartup10000", "", "ms/start", "< 1500 ms", ""},
	{"memory: resident when idle after start-up, 10,000 records (VmRSS, with Mesa's software GL libraries)", "cmd/healthwallet", "BenchmarkStartup10000", "", "MB-idle-RSS", "< 200 MB", ""},
	{"memory: the process's own resident memory when idle (RssAnon: without mapped libraries)", "cmd/healthwallet", "BenchmarkStartup10000", "", "MB-idle-anon", "measured", ""},
	{"credentials: a clinician's verification from local chain state (3,000 clinicians, 9,000 credentials, every credential judged)", "wallet", "BenchmarkVerifyClinician", "", "verifications/s", "measured", ""},
	{"prescriptions: a pharmacist's verdict from local chain state (decode, signature, licence at writing time, commitment, dispenses)", "wallet/rx", "BenchmarkVerify", "", "ms/verdict", "< 50 ms", ""},
	{"packs: a pharmacy's scan verdict from local chain state (100,000-pack batch, serial list cached; parse, Merkle proof, custody, recalls, dispenses)", "wallet", "BenchmarkVerifyPack", "", "ms/verdict", "< 20 ms", ""},
	{"packs: scan verifications per second", "wallet", "BenchmarkVerifyPack", "", "verifications/s", "measured", ""},
	{"packs: commissioning a 100,000-pack batch (signed serial list, Merkle root, IPFS add and pin, transaction submitted)", "wallet", "BenchmarkCommissionBatch100k", "", "s/commission", "< 2 s", ""},
	{"access: patient's approval to the clinician holding 100 decrypted records (5 MB; loopback, 2 s block period, approval just after a block, records via a clinic node's pins)", "wallet", "BenchmarkApprovalToRead", "", "s/approval-to-read", "< period + 1 s (3 s)", ""},
}

type result struct {
	pkg, name string
	iters     int64
	metrics   map[string]float64
	units     []string
}

func main() {
	out := flag.String("out", "BENCHMARKS.md", "file to write")
	pattern := flag.String("bench", ".", "benchmark pattern")
	benchtime := flag.String("benchtime", "1s", "go test -benchtime")
	flag.Parse()

	// The timeout covers chain/ledger's sync benchmark, which generates its
	// 10,000 blocks the first time (cached under the temporary directory).
	cmd := exec.Command("go", "test", "-run", "^$", "-bench", *pattern, "-benchmem", "-benchtime", *benchtime, "-timeout", "60m", "./...")
	var raw bytes.Buffer
	cmd.Stdout = io.MultiWriter(os.Stdout, &raw)
	cmd.Stderr = os.Stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		fmt.Fprintf(os.Stderr, "benchreport: benchmarks failed: %v\n", err)
		os.Exit(1)
	}
	results := parse(raw.String())
	doc := render(results, time.Since(start))
	if err := os.WriteFile(*out, []byte(doc), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "benchreport:", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "benchreport: wrote %s (%d benchmarks)\n", *out, len(results))
}

func parse(s string) []result {
	var out []result
	pkg := ""
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		line := sc.Text()
		if p, ok := strings.CutPrefix(line, "pkg: "); ok {
			pkg = strings.TrimPrefix(p, "github.com/healthwallet/healthwallet/")
			continue
		}
		if !strings.HasPrefix(line, "Benchmark") {
			continue
		}
		f := strings.Fields(line)
		if len(f) < 4 || len(f)%2 != 0 {
			continue
		}
		n, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil {
			continue
		}
		name := f[0]
		if i := strings.LastIndex(name, "-"); i > 0 {
			if _, err := strconv.Atoi(name[i+1:]); err == nil {
				name = name[:i]
			}
		}
		r := result{pkg: pkg, name: name, iters: n, metrics: map[string]float64{}}
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				continue
			}
			r.metrics[f[i+1]] = v
			r.units = append(r.units, f[i+1])
		}
		out = append(out, r)
	}
	return out
}

func find(rs []result, pkg, name string) (result, bool) {
	for _, r := range rs {
		if r.pkg == pkg && r.name == name {
			return r, true
		}
	}
	return result{}, false
}

func render(rs []result, took time.Duration) string {
	var b strings.Builder
	b.WriteString("# Benchmarks\n\nWritten by `make bench` (`go run ./internal/benchreport`); every figure below is from one run on the machine described. Do not edit by hand.\n\n")
	b.WriteString("## Machine\n\n")
	fmt.Fprintf(&b, "| | |\n|---|---|\n")
	fmt.Fprintf(&b, "| CPU | %s |\n", cpuModel())
	fmt.Fprintf(&b, "| logical cores | %d |\n", runtime.NumCPU())
	fmt.Fprintf(&b, "| memory | %s |\n", memTotal())
	fmt.Fprintf(&b, "| OS | %s/%s, kernel %s |\n", runtime.GOOS, runtime.GOARCH, kernel())
	fmt.Fprintf(&b, "| Go | %s |\n", goVersion())
	fmt.Fprintf(&b, "| commit | %s |\n", gitCommit())
	fmt.Fprintf(&b, "| date | %s |\n", time.Now().UTC().Format("2006-01-02 15:04 UTC"))
	fmt.Fprintf(&b, "| run time | %s |\n\n", took.Round(time.Second))

	b.WriteString("## Goals\n\n| figure | measured | goal |\n|---|---|---|\n")
	for _, g := range goals {
		n, ok := find(rs, g.pkg, g.bench)
		v, have := n.metrics[g.metric]
		if !ok || !have {
			fmt.Fprintf(&b, "| %s | not measured | %s |\n", g.what, g.target)
			continue
		}
		if g.denom == "" {
			if strings.HasSuffix(g.metric, "%raw") {
				fmt.Fprintf(&b, "| %s | **%.0f %%** | %s |\n", g.what, v, g.target)
			} else {
				fmt.Fprintf(&b, "| %s | **%s %s** | %s |\n", g.what, human(v), g.metric, g.target)
			}
			continue
		}
		dm := g.metric
		if g.denomMetric != "" {
			dm = g.denomMetric
		}
		dpkg, dname := g.pkg, g.denom
		if p, n, ok := strings.Cut(g.denom, ":"); ok {
			dpkg, dname = p, n
		}
		d, ok := find(rs, dpkg, dname)
		if !ok || d.metrics[dm] == 0 {
			fmt.Fprintf(&b, "| %s | not measured | %s |\n", g.what, g.target)
			continue
		}
		fmt.Fprintf(&b, "| %s | %s %s / %s %s = **%.0f %%** | %s |\n", g.what,
			human(v), g.metric, human(d.metrics[dm]), dm, 100*v/d.metrics[dm], g.target)
	}

	byPkg := map[string][]result{}
	var pkgs []string
	for _, r := range rs {
		if _, ok := byPkg[r.pkg]; !ok {
			pkgs = append(pkgs, r.pkg)
		}
		byPkg[r.pkg] = append(byPkg[r.pkg], r)
	}
	sort.Strings(pkgs)
	b.WriteString("\n## All figures\n")
	for _, p := range pkgs {
		fmt.Fprintf(&b, "\n### %s\n\n| benchmark | iterations | figures |\n|---|---:|---|\n", p)
		for _, r := range byPkg[p] {
			var figs []string
			for _, u := range r.units {
				figs = append(figs, fmt.Sprintf("%s %s", human(r.metrics[u]), u))
			}
			fmt.Fprintf(&b, "| %s | %d | %s |\n", strings.TrimPrefix(r.name, "Benchmark"), r.iters, strings.Join(figs, ", "))
		}
	}
	return b.String()
}

func human(v float64) string {
	switch {
	case v >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case v >= 1:
		return strconv.FormatFloat(v, 'f', 2, 64)
	default:
		return strconv.FormatFloat(v, 'g', 3, 64)
	}
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "model name"); ok {
			return strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
		}
	}
	return runtime.GOARCH
}

func memTotal() string {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return "unknown"
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "MemTotal:"); ok {
			f := strings.Fields(v)
			if kb, err := strconv.ParseFloat(f[0], 64); err == nil {
				return fmt.Sprintf("%.1f GiB", kb/(1<<20))
			}
		}
	}
	return "unknown"
}

func run(name string, args ...string) string {
	out, err := exec.Command(name, args...).Output()
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(out))
}

func kernel() string    { return run("uname", "-r") }
func goVersion() string { return run("go", "version") }
func gitCommit() string { return run("git", "describe", "--always", "--dirty") }
