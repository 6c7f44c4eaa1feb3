package shamir

import (
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
)

// Version is the share encoding version written by MarshalBinary and the only
// one UnmarshalBinary accepts.
const Version = 1

// MaxShares is the largest n: X coordinates are the non-zero bytes 1..255,
// and x = 0 is where the secret lives.
const MaxShares = 255

// maxSecretLen bounds the secret (and so every Y) to keep shares and the
// O(k*len) work small; a data key is 32 bytes.
const maxSecretLen = 1024

var (
	// ErrTooFewShares: Combine got fewer distinct shares than their
	// threshold, or none at all.
	ErrTooFewShares = errors.New("shamir: too few shares")

	// ErrInvalidShare: a malformed encoding, a zero threshold or X, a Y out
	// of bounds, shares that disagree on threshold or length, or two
	// different shares with the same X.
	ErrInvalidShare = errors.New("shamir: invalid share")
)

// Share is one holder's piece of a split secret.
type Share struct {
	// Threshold is k, the number of distinct shares that recombine the
	// secret; it is the same in every share of one split.
	Threshold uint8
	// X is the share's evaluation point, 1..n.
	X uint8
	// Y holds the value at X of each secret byte's polynomial; it is as long
	// as the secret.
	Y []byte
}

// Split divides secret into n shares, any k of which recombine it with
// Combine; fewer than k reveal nothing about it beyond its length. It
// requires 1 <= k <= n <= MaxShares and a secret of 1 to 1024 bytes. Share i
// of the result has X = i+1. With k = 1 every share equals the secret.
func Split(secret []byte, n, k int) ([]Share, error) {
	return split(rand.Reader, secret, n, k)
}

// split is Split with the randomness source as a parameter, so tests can pin
// the output.
func split(rand io.Reader, secret []byte, n, k int) ([]Share, error) {
	if n < 1 || n > MaxShares {
		return nil, fmt.Errorf("shamir: split into n=%d shares: n must be 1..%d", n, MaxShares)
	}
	if k < 1 || k > n {
		return nil, fmt.Errorf("shamir: split with threshold k=%d: k must be 1..n=%d", k, n)
	}
	if len(secret) < 1 || len(secret) > maxSecretLen {
		return nil, fmt.Errorf("shamir: split a %d-byte secret: length must be 1..%d", len(secret), maxSecretLen)
	}

	// random[i*(k-1) : (i+1)*(k-1)] are the coefficients of x^1..x^(k-1)
	// for secret byte i; the order is part of what the test vectors pin.
	random := make([]byte, len(secret)*(k-1))
	defer clear(random)
	if _, err := io.ReadFull(rand, random); err != nil {
		return nil, fmt.Errorf("shamir: read %d random bytes for a %d-byte secret with k=%d: %w", len(random), len(secret), k, err)
	}

	shares := make([]Share, n)
	for i := range shares {
		shares[i] = Share{Threshold: uint8(k), X: uint8(i + 1), Y: make([]byte, len(secret))}
	}
	coeffs := make([]byte, k)
	defer clear(coeffs)
	for b, s := range secret {
		coeffs[0] = s
		copy(coeffs[1:], random[b*(k-1):(b+1)*(k-1)])
		for i := range shares {
			shares[i].Y[b] = eval(coeffs, shares[i].X)
		}
	}
	return shares, nil
}

// Combine recombines the secret from shares of one split. All shares are
// validated: each must be well formed, all must agree on Threshold and on the
// length of Y, and shares repeating an X must be identical (a repeat counts
// once). It then interpolates over the first Threshold distinct shares in
// argument order and ignores the rest; see the package documentation for why,
// and for why a wrong share yields a wrong secret rather than an error.
//
// Combine returns ErrTooFewShares when there are fewer distinct shares than
// the threshold and ErrInvalidShare for the validation failures above, both
// wrapped with the offending input. It does not modify shares.
func Combine(shares []Share) ([]byte, error) {
	if len(shares) == 0 {
		return nil, fmt.Errorf("%w: no shares given", ErrTooFewShares)
	}
	first := shares[0]
	var byX [256]int // index+1 into shares of the first share seen at each X
	var distinct []int
	for i, s := range shares {
		if p := s.problem(); p != "" {
			return nil, fmt.Errorf("%w: share %d: %s", ErrInvalidShare, i, p)
		}
		if s.Threshold != first.Threshold {
			return nil, fmt.Errorf("%w: share %d (x=%d) has threshold %d, share 0 (x=%d) has %d",
				ErrInvalidShare, i, s.X, s.Threshold, first.X, first.Threshold)
		}
		if len(s.Y) != len(first.Y) {
			return nil, fmt.Errorf("%w: share %d (x=%d) has a %d-byte y, share 0 (x=%d) has %d bytes",
				ErrInvalidShare, i, s.X, len(s.Y), first.X, len(first.Y))
		}
		if j := byX[s.X]; j != 0 {
			// Y is secret material: compare without an early exit.
			if subtle.ConstantTimeCompare(s.Y, shares[j-1].Y) != 1 {
				return nil, fmt.Errorf("%w: shares %d and %d both have x=%d but different y",
					ErrInvalidShare, j-1, i, s.X)
			}
			continue
		}
		byX[s.X] = i + 1
		distinct = append(distinct, i)
	}
	k := int(first.Threshold)
	if len(distinct) < k {
		return nil, fmt.Errorf("%w: %d distinct shares of %d given, threshold is %d",
			ErrTooFewShares, len(distinct), len(shares), k)
	}
	use := distinct[:k]

	xs := make([]byte, k)
	for i, idx := range use {
		xs[i] = shares[idx].X
	}
	basis := lagrangeAtZero(xs)
	secret := make([]byte, len(first.Y))
	for i, idx := range use {
		y := shares[idx].Y
		for b := range secret {
			secret[b] ^= mul(basis[i], y[b])
		}
	}
	return secret, nil
}

// problem describes what makes s invalid, or returns "" if it is valid. One
// check serves Combine, MarshalBinary and UnmarshalBinary, so that
// MarshalBinary never writes what UnmarshalBinary would refuse.
func (s Share) problem() string {
	switch {
	case s.Threshold == 0:
		return fmt.Sprintf("threshold 0 (x=%d), must be 1..255", s.X)
	case s.X == 0:
		return "x=0 is the secret's own point, must be 1..255"
	case len(s.Y) < 1 || len(s.Y) > maxSecretLen:
		return fmt.Sprintf("y of %d bytes (x=%d), must be 1..%d", len(s.Y), s.X, maxSecretLen)
	}
	return ""
}

// MarshalBinary encodes s as version | threshold | x | y (3+len(Y) bytes). It
// refuses, with ErrInvalidShare, a share that UnmarshalBinary would reject.
func (s Share) MarshalBinary() ([]byte, error) {
	if p := s.problem(); p != "" {
		return nil, fmt.Errorf("%w: marshal: %s", ErrInvalidShare, p)
	}
	b := make([]byte, 0, 3+len(s.Y))
	b = append(b, Version, s.Threshold, s.X)
	return append(b, s.Y...), nil
}

// UnmarshalBinary decodes a share written by MarshalBinary. It rejects,
// wrapping ErrInvalidShare, an unknown version, threshold 0, x = 0 and a y
// outside 1..1024 bytes, and leaves s unchanged on error. Y is a copy, not an
// alias of b.
func (s *Share) UnmarshalBinary(b []byte) error {
	if len(b) < 4 {
		return fmt.Errorf("%w: unmarshal: %d bytes, need at least 4 (3-byte header and 1 byte of y)", ErrInvalidShare, len(b))
	}
	if b[0] != Version {
		return fmt.Errorf("%w: unmarshal: version %d, want %d", ErrInvalidShare, b[0], Version)
	}
	t := Share{Threshold: b[1], X: b[2], Y: b[3:]}
	if p := t.problem(); p != "" {
		return fmt.Errorf("%w: unmarshal: %s", ErrInvalidShare, p)
	}
	t.Y = append([]byte(nil), t.Y...)
	*s = t
	return nil
}
