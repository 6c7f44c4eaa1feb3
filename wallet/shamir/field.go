package shamir

// Arithmetic in GF(2^8) modulo x^8+x^4+x^3+x+1 (0x11B). Addition is XOR.

// mul returns a*b. Every round does the same work whatever the operands, so
// timing and memory access do not depend on secret bytes.
func mul(a, b byte) byte {
	var p byte
	for range 8 {
		// -(b&1) is 0xFF when the low bit of b is set, else 0x00.
		p ^= -(b & 1) & a
		// a*x, folding x^8 back in as x^4+x^3+x+1 when the top bit was set.
		a = a<<1 ^ (-(a >> 7) & 0x1B)
		b >>= 1
	}
	return p
}

// inv returns a^-1 for a != 0, and 0 for a == 0 (as in AES). The
// multiplicative group has order 255, so a^-1 = a^254; 254 = 2+4+...+128, so
// the product of the squares a^2, a^4, ..., a^128 is a^254 with no branch on
// a.
func inv(a byte) byte {
	sq := mul(a, a) // a^2
	r := sq
	for range 6 {
		sq = mul(sq, sq) // a^4, a^8, ..., a^128
		r = mul(r, sq)
	}
	return r
}

// eval returns p(x) for p(x) = coeffs[0] + coeffs[1]*x + ..., by Horner's
// rule.
func eval(coeffs []byte, x byte) byte {
	var y byte
	for i := len(coeffs) - 1; i >= 0; i-- {
		y = mul(y, x) ^ coeffs[i]
	}
	return y
}

// lagrangeAtZero returns the Lagrange basis values l_i(0) for the distinct,
// non-zero points xs, so that p(0) = sum_i l_i(0)*p(xs[i]) for any polynomial
// p of degree below len(xs). In characteristic 2, 0 - x_j = x_j and
// x_i - x_j = x_i ^ x_j, so l_i(0) = prod_{j != i} x_j / (x_i ^ x_j).
func lagrangeAtZero(xs []byte) []byte {
	basis := make([]byte, len(xs))
	for i, xi := range xs {
		num, den := byte(1), byte(1)
		for j, xj := range xs {
			if j == i {
				continue
			}
			num = mul(num, xj)
			den = mul(den, xi^xj)
		}
		basis[i] = mul(num, inv(den))
	}
	return basis
}
