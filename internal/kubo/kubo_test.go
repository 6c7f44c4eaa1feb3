package kubo

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func binaryOrSkip(t *testing.T) string {
	t.Helper()
	bin, err := Find()
	if errors.Is(err, ErrNoKubo) {
		t.Skipf("%v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

func swarmKey(t *testing.T) []byte {
	k := make([]byte, 32)
	rand.Read(k)
	return []byte("/key/swarm/psk/1.0.0/\n/base16/\n" + hex.EncodeToString(k) + "\n")
}

func TestLoopbackOnly(t *testing.T) {
	bin := binaryOrSkip(t)
	ctx := t.Context()
	d := StartT(t, Options{Binary: bin})

	v, err := d.Version(ctx)
	if err != nil || v != Version {
		t.Fatalf("Version = %q, %v; want %s", v, err, Version)
	}
	if d.PeerID() == "" || len(d.Addrs()) == 0 {
		t.Fatalf("PeerID %q, Addrs %q", d.PeerID(), d.Addrs())
	}
	for _, a := range d.Addrs() {
		if !strings.HasPrefix(a, "/ip4/127.0.0.1/tcp/") || !strings.HasSuffix(a, "/p2p/"+d.PeerID()) {
			t.Errorf("address %q is not loopback TCP with /p2p/", a)
		}
	}
	// Every address the daemon listens on, not only those Addrs keeps.
	id, err := d.identify(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range id.Addresses {
		if _, err := loopbackTCP(a); err != nil {
			t.Errorf("daemon listens on %q: %v", a, err)
		}
	}

	// The configuration kubo runs with is the one written.
	out, err := d.run(ctx, nil, nil, "config", "show")
	if err != nil {
		t.Fatal(err)
	}
	var cfg map[string]any
	if err := json.Unmarshal(out, &cfg); err != nil {
		t.Fatal(err)
	}
	for _, s := range settings {
		var got any = cfg
		for _, k := range strings.Split(s.path, ".") {
			m, _ := got.(map[string]any)
			got = m[k]
		}
		want, _ := json.Marshal(s.value)
		have, _ := json.Marshal(got)
		if !bytes.Equal(want, have) && !(string(want) == "[]" && string(have) == "null") {
			t.Errorf("config %s = %s, want %s", s.path, have, want)
		}
	}

	if err := d.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := d.Connect(ctx, "/ip4/127.0.0.1/tcp/1/p2p/"+d.PeerID()); err == nil {
		t.Error("CLI call after Stop succeeded")
	}
}

func TestTwoDaemonsPrivateNetwork(t *testing.T) {
	bin := binaryOrSkip(t)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	key := swarmKey(t)
	a := StartT(t, Options{Binary: bin, SwarmKey: key})
	b := StartT(t, Options{Binary: bin, SwarmKey: key})
	outsider := StartT(t, Options{Binary: bin})

	data := make([]byte, 3<<20+17)
	rand.Read(data)
	c, err := a.AddReader(ctx, bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if c2, err := a.AddHTTP(ctx, bytes.NewReader(data)); err != nil || c2 != c {
		t.Fatalf("AddHTTP = %s, %v; CLI gave %s", c2, err, c)
	}
	if !strings.HasPrefix(c, "bafy") {
		t.Fatalf("CID %s is not CIDv1 dag-pb", c)
	}
	if err := b.Connect(ctx, a.Addrs()[0]); err != nil {
		t.Fatal(err)
	}
	peers, err := b.Peers(ctx)
	if err != nil || !slices.Contains(peers, a.PeerID()) {
		t.Fatalf("b's peers %q (%v) lack a", peers, err)
	}
	got, err := b.Cat(ctx, c)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("Cat: %d bytes, %v; want the %d added", len(got), err, len(data))
	}
	var buf bytes.Buffer
	if err := b.CatHTTP(ctx, c, &buf); err != nil || !bytes.Equal(buf.Bytes(), data) {
		t.Fatalf("CatHTTP: %d bytes, %v", buf.Len(), err)
	}
	links, err := b.Ls(ctx, c)
	if err != nil || len(links) != 13 {
		t.Fatalf("Ls: %d links, %v; want 13 chunks", len(links), err)
	}

	cctx, ccancel := context.WithTimeout(ctx, 20*time.Second)
	defer ccancel()
	if err := outsider.Connect(cctx, a.Addrs()[0]); err == nil {
		t.Fatal("a daemon without the swarm key connected to the private network")
	}
}

func TestFind(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", dir)
	t.Setenv(EnvBinary, "")
	if _, err := Find(); !errors.Is(err, ErrNoKubo) {
		t.Fatalf("Find with nothing built = %v, want ErrNoKubo", err)
	}

	t.Setenv(EnvBinary, filepath.Join(dir, "missing"))
	if _, err := Find(); err == nil || errors.Is(err, ErrNoKubo) {
		t.Fatalf("Find with %s naming nothing = %v, want an error that does not skip", EnvBinary, err)
	}

	fake := filepath.Join(dir, "ipfs")
	if err := os.WriteFile(fake, []byte("#!/bin/sh\necho 0.41.0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv(EnvBinary, fake)
	if _, err := Find(); err == nil || errors.Is(err, ErrNoKubo) || !strings.Contains(err.Error(), "0.41.0") {
		t.Fatalf("Find of kubo 0.41.0 = %v, want a version error", err)
	}

	good := filepath.Join(dir, "healthwallet", "kubo-v"+Version, "ipfs")
	if err := os.MkdirAll(filepath.Dir(good), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(good, []byte("#!/bin/sh\necho "+Version+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv(EnvBinary, "")
	if p, err := Find(); err != nil || p != good {
		t.Fatalf("Find = %q, %v; want %s", p, err, good)
	}
}

func TestLoopbackTCP(t *testing.T) {
	for in, want := range map[string]string{
		"/ip4/127.0.0.1/tcp/4001":              "127.0.0.1:4001",
		"/ip4/127.0.0.1/tcp/4001/p2p/12D3Koo":  "127.0.0.1:4001",
		"/ip4/127.0.0.1/tcp/0":                 "",
		"/ip4/10.0.0.1/tcp/4001":               "",
		"/ip6/::1/tcp/4001":                    "",
		"/ip4/127.0.0.1/udp/4001/quic-v1":      "",
		"/ip4/127.0.0.1/tcp/4001/ws":           "",
		"/ip4/127.0.0.1/tcp/4001/p2p/a/p2p/b":  "",
		"/ip4/127.0.0.1/tcp/4001/p2p-circuit/": "",
	} {
		got, err := loopbackTCP(in)
		if got != want || (err == nil) != (want != "") {
			t.Errorf("loopbackTCP(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}
