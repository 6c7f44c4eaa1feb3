package gs1

import (
	"fmt"
	"net/url"
	"strings"
)

// DigitalLink returns the pack as a GS1 Digital Link URI,
// "https://<host>/01/<gtin>/10/<lot>/21/<serial>?17=<yymmdd>", with the lot
// and serial percent-encoded. An empty host means DefaultHost.
func (p Pack) DigitalLink(host string) string {
	if host == "" {
		host = DefaultHost
	}
	var b strings.Builder
	b.Grow(len("https:///01//10//21/?17=") + len(host) + len(p.GTIN) + 3*(len(p.Lot)+len(p.Serial)) + len(p.Expiry))
	b.WriteString("https://")
	b.WriteString(host)
	b.WriteString("/01/")
	b.WriteString(p.GTIN)
	b.WriteString("/10/")
	writePercentEncoded(&b, p.Lot)
	b.WriteString("/21/")
	writePercentEncoded(&b, p.Serial)
	b.WriteString("?17=")
	writePercentEncoded(&b, p.Expiry)
	return b.String()
}

// writePercentEncoded escapes all but RFC 3986 unreserved characters: set 82
// holds "/", "?", "&", "%" and others that would change the URI's structure.
func writePercentEncoded(b *strings.Builder, v string) {
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
}

// parseDigitalLink reads a GS1 Digital Link URI: any host, an optional path
// before the primary key /01/<gtin>, AI/value pairs in the path, AIs as query
// keys. Query keys that are not AIs (linkType and the like) are ignored.
func parseDigitalLink(fs *fields, s string, base int) error {
	rest := s[strings.Index(s, "://")+3:]
	off := base + len(s) - len(rest)
	slash := strings.IndexByte(rest, '/')
	if slash <= 0 {
		return fmt.Errorf("gs1: at byte %d: Digital Link %q has no host or no path: %w", off, clip(s), ErrMalformed)
	}
	if strings.ContainsAny(rest[:slash], "?#") {
		return fmt.Errorf("gs1: at byte %d: Digital Link %q has no path: %w", off, clip(s), ErrMalformed)
	}
	rest, off = rest[slash:], off+slash
	if h := strings.IndexByte(rest, '#'); h >= 0 {
		rest = rest[:h]
	}
	path, query, _ := strings.Cut(rest, "?")

	segs := strings.Split(path[1:], "/")
	starts := make([]int, len(segs))
	pos := off + 1
	for k, seg := range segs {
		starts[k] = pos
		pos += len(seg) + 1
	}
	k := -1
	for j := range segs {
		if segs[j] == "01" && (len(segs)-j)%2 == 0 {
			k = j
			break
		}
	}
	if k < 0 {
		return fmt.Errorf("gs1: at byte %d: Digital Link path %q has no /01/<gtin>: %w", off, clip(path), ErrMissing)
	}
	for ; k < len(segs); k += 2 {
		ai, raw, at := segs[k], segs[k+1], starts[k]
		if len(ai) < 2 || len(ai) > 4 || !allDigits(ai) {
			return fmt.Errorf("gs1: at byte %d: Digital Link path segment %q is not an AI: %w", at, clip(ai), ErrMalformed)
		}
		if err := putDL(fs, ai, raw, at); err != nil {
			return err
		}
	}

	pos = off + len(path) + 1
	for _, kv := range strings.Split(query, "&") {
		at := pos
		pos += len(kv) + 1
		key, raw, _ := strings.Cut(kv, "=")
		if len(key) < 2 || len(key) > 4 || !allDigits(key) {
			continue
		}
		if err := putDL(fs, key, raw, at); err != nil {
			return err
		}
	}
	return nil
}

func putDL(fs *fields, ai, raw string, at int) error {
	f := fieldOf(ai)
	if f < 0 {
		return nil
	}
	// PathUnescape, not QueryUnescape: "+" is a set 82 character, not a space.
	v, err := url.PathUnescape(raw)
	if err != nil {
		return fmt.Errorf("gs1: at byte %d: AI (%s) value %q: bad percent-encoding: %w", at, ai, clip(raw), ErrMalformed)
	}
	if f == fGTIN {
		// Digital Link allows GTIN-8, -12 and -13 unpadded.
		switch len(v) {
		case 8, 12, 13:
			v = strings.Repeat("0", 14-len(v)) + v
		}
	}
	return fs.put(f, v, at)
}
