package gs1

import (
	"fmt"
	"strings"
	"time"
)

// Parse reads a pack's element string in any of the three forms (see ParseAt),
// resolving the expiry's century relative to the current time.
func Parse(s string) (Pack, error) { return ParseAt(s, time.Now()) }

// ParseAt reads a pack's element string as a scanner or phone delivers it:
//
//   - human-readable: "(01)09506000134352(21)ABC123(10)L1(17)290131", AIs in
//     any order, spaces tolerated between elements; "\(" is a literal "(";
//   - raw: an optional symbology identifier ]d2, ]Q3 or ]C1, an optional
//     leading FNC1, then AIs concatenated, variable-length fields ended by GS
//     (byte 0x1D, or the text "<GS>" or `\x1d` some keyboard-mode scanners type)
//     or by the end;
//   - a GS1 Digital Link URI, any host:
//     "https://id.gs1.org/01/09506000134352/10/L1/21/ABC123?17=290131".
//
// now picks the century of the expiry (GS1 sliding window). Errors wrap
// ErrMalformed, ErrCheckDigit or ErrMissing and say where in s they are.
func ParseAt(s string, now time.Time) (Pack, error) {
	if len(s) > MaxInput {
		return Pack{}, fmt.Errorf("gs1: input of %d bytes, limit %d: %w", len(s), MaxInput, ErrMalformed)
	}
	trimmed := strings.TrimLeft(s, " \t\r\n")
	base := len(s) - len(trimmed)
	trimmed = strings.TrimRight(trimmed, " \t\r\n")
	if trimmed == "" {
		return Pack{}, fmt.Errorf("gs1: empty input: %w", ErrMalformed)
	}
	var fs fields
	var err error
	switch {
	case hasPrefixFold(trimmed, "https://") || hasPrefixFold(trimmed, "http://"):
		err = parseDigitalLink(&fs, trimmed, base)
	case trimmed[0] == '(':
		err = parseHRI(&fs, trimmed, base)
	default:
		err = parseRaw(&fs, trimmed, base)
	}
	if err != nil {
		return Pack{}, err
	}
	return fs.pack(now)
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// fieldOf maps an AI to the Pack field it fills, or -1.
func fieldOf(ai string) int {
	switch ai {
	case "01":
		return fGTIN
	case "17":
		return fExpiry
	case "10":
		return fLot
	case "21":
		return fSerial
	}
	return -1
}

// parseHRI reads the bracketed form. Brackets delimit every element, so AIs
// this package does not use are skipped whatever their length.
func parseHRI(fs *fields, s string, base int) error {
	i := 0
	for {
		for i < len(s) && s[i] == ' ' {
			i++
		}
		if i == len(s) {
			return nil
		}
		at := base + i
		ai, n := hriAI(s, i)
		if n == 0 {
			return fmt.Errorf("gs1: at byte %d: want \"(\" and a 2 to 4 digit AI, found %q: %w", at, clip(s[i:]), ErrMalformed)
		}
		i += n
		var v strings.Builder
		for i < len(s) {
			if s[i] == '\\' && i+1 < len(s) && s[i+1] == '(' {
				v.WriteByte('(')
				i += 2
				continue
			}
			if s[i] == '(' {
				if _, n := hriAI(s, i); n > 0 {
					break
				}
			}
			v.WriteByte(s[i])
			i++
		}
		val := strings.TrimRight(v.String(), " ")
		if val == "" {
			return fmt.Errorf("gs1: at byte %d: AI (%s) has no value: %w", at, ai, ErrMalformed)
		}
		if f := fieldOf(ai); f >= 0 {
			if err := fs.put(f, val, at); err != nil {
				return err
			}
		}
	}
}

// hriAI recognises "(NN)", "(NNN)" or "(NNNN)" at s[i:], returning the AI and
// the bytes it takes, or n == 0.
func hriAI(s string, i int) (ai string, n int) {
	if i >= len(s) || s[i] != '(' {
		return "", 0
	}
	j := i + 1
	for j < len(s) && j-i-1 < 4 && s[j] >= '0' && s[j] <= '9' {
		j++
	}
	if d := j - i - 1; d < 2 || j >= len(s) || s[j] != ')' {
		return "", 0
	}
	return s[i+1 : j], j + 1 - i
}

// symbologyIDs are the identifiers of GS1 DataMatrix, GS1 QR Code and
// GS1-128 that a scanner configured to send them puts first.
var symbologyIDs = [...]string{"]d2", "]Q3", "]C1"}

// gsLen reports the length of a group separator at s[i:]: the byte 0x1D, or
// the text "<GS>" or `\x1d` some keyboard-wedge scanners type instead.
func gsLen(s string, i int) int {
	switch {
	case i >= len(s):
		return 0
	case s[i] == 0x1D:
		return 1
	case strings.HasPrefix(s[i:], "<GS>"):
		return 4
	case strings.HasPrefix(s[i:], `\x1d`), strings.HasPrefix(s[i:], `\x1D`):
		return 4
	}
	return 0
}

// predefined gives, for the first two digits of an AI, the length of the AI
// and of its data when GS1 predefines them (General Specifications figure
// 7.8.5-2): such elements are not followed by a separator. ok is false for AIs
// of variable length, which end at a separator or the end of the data.
// undelimitable is true for a predefined-length prefix whose length this
// table does not know, which leaves the rest of the data unreadable.
func predefined(p string) (aiLen, dataLen int, ok, undelimitable bool) {
	switch p {
	case "00":
		return 2, 18, true, false
	case "01", "02", "03":
		return 2, 14, true, false
	case "04":
		return 2, 16, true, false
	case "11", "12", "13", "14", "15", "16", "17", "18", "19":
		return 2, 6, true, false
	case "20":
		return 2, 2, true, false
	case "31", "32", "33", "34", "35", "36":
		return 4, 6, true, false
	case "41":
		return 3, 13, true, false
	case "23":
		return 0, 0, false, true
	}
	return 0, 0, false, false
}

// parseRaw reads AIs concatenated as a scanner transmits them.
func parseRaw(fs *fields, s string, base int) error {
	i := 0
	for _, id := range symbologyIDs {
		if strings.HasPrefix(s, id) {
			i = len(id)
			break
		}
	}
	for i < len(s) {
		// A separator where an AI is expected is the leading FNC1, or one a
		// printer put after a fixed-length field; neither carries data.
		if n := gsLen(s, i); n > 0 {
			i += n
			continue
		}
		at := base + i
		if i+2 > len(s) || !allDigits(s[i:i+2]) {
			return fmt.Errorf("gs1: at byte %d: want an AI, found %q: %w", at, clip(s[i:]), ErrMalformed)
		}
		prefix := s[i : i+2]
		aiLen, dataLen, fixed, undelimitable := predefined(prefix)
		switch {
		case undelimitable:
			return fmt.Errorf("gs1: at byte %d: AI starting %s has a predefined length this parser does not know: %w", at, prefix, ErrMalformed)
		case fixed:
			end := i + aiLen + dataLen
			if end > len(s) || !allDigits(s[i:end]) {
				return fmt.Errorf("gs1: at byte %d: AI (%s) wants %d digits after a %d-digit AI, found %q: %w",
					at, prefix, dataLen, aiLen, clip(s[i:]), ErrMalformed)
			}
			if f := fieldOf(s[i : i+aiLen]); f >= 0 {
				if err := fs.put(f, s[i+aiLen:end], at); err != nil {
					return err
				}
			}
			i = end
		default:
			end := i + 2
			for end < len(s) && gsLen(s, end) == 0 {
				end++
			}
			// Only 10 and 21 are read; the AI of any other variable-length
			// element need not be known since a separator ends it.
			if f := fieldOf(prefix); f >= 0 {
				if end-i-2 > maxLotLen { // maxSerialLen is the same
					return fmt.Errorf("gs1: at byte %d: AI (%s) %q is longer than %d: a GS separator missing?: %w",
						at, prefix, clip(s[i+2:end]), maxLotLen, ErrMalformed)
				}
				if err := fs.put(f, s[i+2:end], at); err != nil {
					return err
				}
			}
			i = end
		}
	}
	return nil
}

// clip shortens what an error message quotes from the input.
func clip(s string) string {
	if len(s) > 24 {
		return s[:24] + "…"
	}
	return s
}
