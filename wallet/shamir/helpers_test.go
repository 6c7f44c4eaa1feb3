package shamir

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"io"
)

// sha256Stream is the deterministic randomness behind the test vectors:
// block i (i = 0, 1, ...) is SHA-256(seed || uint64 big-endian i), and the
// stream is the blocks concatenated. Another implementation can reproduce it
// from the description in testdata/vectors.json.
type sha256Stream struct {
	seed []byte
	ctr  uint64
	buf  []byte
}

func newStream(seed string) *sha256Stream { return &sha256Stream{seed: []byte(seed)} }

func (r *sha256Stream) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		if len(r.buf) == 0 {
			block := sha256.Sum256(binary.BigEndian.AppendUint64(append([]byte(nil), r.seed...), r.ctr))
			r.ctr++
			r.buf = block[:]
		}
		c := copy(p[n:], r.buf)
		r.buf = r.buf[c:]
		n += c
	}
	return n, nil
}

// countingReader records how many bytes split asked for.
type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

var errBrokenRand = errors.New("test: randomness source failed")

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errBrokenRand }

// mustSplit splits with a deterministic stream so failures reproduce.
func mustSplit(t interface {
	Helper()
	Fatalf(string, ...any)
}, secret []byte, n, k int, seed string) []Share {
	t.Helper()
	shares, err := split(newStream(seed), secret, n, k)
	if err != nil {
		t.Fatalf("split(secret %x, n=%d, k=%d, seed %q): %v", secret, n, k, seed, err)
	}
	return shares
}

// subsets returns every k-element subset of 0..n-1 in lexicographic order.
func subsets(n, k int) [][]int {
	var out [][]int
	cur := make([]int, 0, k)
	var rec func(start int)
	rec = func(start int) {
		if len(cur) == k {
			out = append(out, append([]int(nil), cur...))
			return
		}
		for i := start; i <= n-(k-len(cur)); i++ {
			cur = append(cur, i)
			rec(i + 1)
			cur = cur[:len(cur)-1]
		}
	}
	rec(0)
	return out
}

func pick(shares []Share, idx []int) []Share {
	out := make([]Share, len(idx))
	for i, j := range idx {
		out[i] = shares[j]
	}
	return out
}

func xsOf(shares []Share) []uint8 {
	xs := make([]uint8, len(shares))
	for i, s := range shares {
		xs[i] = s.X
	}
	return xs
}

// testKey is a fixed stand-in for a record data key.
func testKey() []byte {
	k := sha256.Sum256([]byte("healthwallet shamir test data key"))
	return k[:]
}
