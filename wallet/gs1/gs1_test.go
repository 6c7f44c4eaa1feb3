package gs1

import (
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite testdata/ golden files")

// clock is the fixed "now" of the tests: the sliding window depends on it.
var clock = time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)

// GS1's own example GTIN, used throughout the GS1 Digital Link standard.
const exampleGTIN = "09506000134352"

func TestCheckDigit(t *testing.T) {
	for _, tc := range []struct {
		digits string
		want   byte
	}{
		{"0950600013435", '2'},
		{"400638133393", '1'}, // GTIN-13 4006381333931
		{"629104150021", '3'}, // GS1 check digit example 6291041500213
		{"1234567", '0'},      // GTIN-8 12345670
		{"0", '0'},
	} {
		got, err := CheckDigit(tc.digits)
		if err != nil || got != tc.want {
			t.Errorf("CheckDigit(%q) = %c, %v; want %c", tc.digits, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "12a4"} {
		if _, err := CheckDigit(bad); !errors.Is(err, ErrMalformed) {
			t.Errorf("CheckDigit(%q) err = %v, want ErrMalformed", bad, err)
		}
	}
}

func TestValidGTIN(t *testing.T) {
	for _, tc := range []struct {
		gtin string
		want error
	}{
		{exampleGTIN, nil},
		{"04006381333932", ErrCheckDigit},
		{"09506000134353", ErrCheckDigit},
		{"9506000134352", ErrMalformed},
		{"0950600013435X", ErrMalformed},
	} {
		if err := ValidGTIN(tc.gtin); !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
			t.Errorf("ValidGTIN(%q) = %v, want %v", tc.gtin, err, tc.want)
		}
	}
}

func TestResolveExpiry(t *testing.T) {
	for _, tc := range []struct {
		yymmdd string
		now    time.Time
		want   string
	}{
		{"290131", clock, "2029-01-31"},
		{"290200", clock, "2029-02-28"},
		{"280200", clock, "2028-02-29"},
		{"261200", clock, "2026-12-31"},
		{"760101", clock, "2076-01-01"},                                       // diff 50: same century
		{"770101", clock, "1977-01-01"},                                       // diff 51: previous century
		{"010101", time.Date(2099, 6, 1, 0, 0, 0, 0, time.UTC), "2101-01-01"}, // diff -98: next century
		{"490101", time.Date(2099, 6, 1, 0, 0, 0, 0, time.UTC), "2149-01-01"}, // diff -50: next century
		{"500101", time.Date(2099, 6, 1, 0, 0, 0, 0, time.UTC), "2050-01-01"}, // diff -49: same century
	} {
		got, err := ResolveExpiry(tc.yymmdd, tc.now)
		if err != nil {
			t.Errorf("ResolveExpiry(%q): %v", tc.yymmdd, err)
			continue
		}
		want, _ := time.Parse(time.DateOnly, tc.want)
		want = want.Add(24*time.Hour - time.Nanosecond)
		if !got.Equal(want) {
			t.Errorf("ResolveExpiry(%q, %d) = %v, want %v", tc.yymmdd, tc.now.Year(), got, want)
		}
	}
	for _, bad := range []string{"291301", "290230", "290001", "29013", "2901A1", "270229"} {
		if _, err := ResolveExpiry(bad, clock); !errors.Is(err, ErrMalformed) {
			t.Errorf("ResolveExpiry(%q) err = %v, want ErrMalformed", bad, err)
		}
	}
}

// TestParseForms parses the same pack in every form a scanner delivers.
func TestParseForms(t *testing.T) {
	want := Pack{GTIN: exampleGTIN, Serial: "ABC123", Lot: "L1", Expiry: "290131",
		ExpiryDate: time.Date(2029, 1, 31, 23, 59, 59, 999999999, time.UTC)}
	for _, in := range []string{
		"(01)09506000134352(21)ABC123(10)L1(17)290131",
		"(01)09506000134352(17)290131(10)L1(21)ABC123",
		"(17)290131 (10)L1 (21)ABC123 (01)09506000134352",
		"(01)09506000134352(11)250101(10)L1(17)290131(21)ABC123(240)X-1",
		"  (01)09506000134352(21)ABC123(10)L1(17)290131\r\n",
		"(01)09506000134352(21)ABC123(21)ABC123(10)L1(17)290131",
		"]d201095060001343521729013110L1\x1d21ABC123",
		"]d2\x1d010950600013435217290131" + "21ABC123\x1d10L1",
		"]Q3010950600013435221ABC123\x1d10L1\x1d17290131",
		"]C10109506000134352<GS>17290131<GS>10L1<GS>21ABC123",
		`010950600013435210L1\x1d21ABC123\x1d17290131`,
		"0109506000134352172901311520010110L1\x1d240X-1\x1d21ABC123",
		"01095060001343523103000250172901313910100\x1d10L1\x1d21ABC123",
		"https://id.gs1.org/01/09506000134352/10/L1/21/ABC123?17=290131",
		"https://id.gs1.org/01/9506000134352/10/L1/21/ABC123?17=290131",
		"HTTPS://example.com/some/prefix/01/09506000134352/10/%4C1/21/ABC123?linkType=gs1:pip&17=290131#x",
		"https://id.gs1.org/01/09506000134352/21/ABC123?10=L1&17=290131",
	} {
		got, err := ParseAt(in, clock)
		if err != nil {
			t.Errorf("ParseAt(%q): %v", in, err)
			continue
		}
		if got != want {
			t.Errorf("ParseAt(%q) = %+v, want %+v", in, got, want)
		}
	}
}

func TestParseGTIN8InDigitalLink(t *testing.T) {
	got, err := ParseAt("https://id.gs1.org/01/12345670/10/A/21/B?17=300600", clock)
	if err != nil || got.GTIN != "00000012345670" {
		t.Fatalf("got %+v, %v; want GTIN 00000012345670", got, err)
	}
}

func TestParseRefused(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     error
	}{
		{"empty", "  ", ErrMalformed},
		{"too long", "(01)09506000134352(21)A(10)L1(17)290131" + strings.Repeat(" ", MaxInput), ErrMalformed},
		{"bad check digit", "(01)09506000134353(21)ABC123(10)L1(17)290131", ErrCheckDigit},
		{"bad check digit raw", "010950600013435317290131" + "10L1\x1d21ABC123", ErrCheckDigit},
		{"bad check digit link", "https://id.gs1.org/01/09506000134353/10/L1/21/ABC123?17=290131", ErrCheckDigit},
		{"no serial", "(01)09506000134352(10)L1(17)290131", ErrMissing},
		{"no lot", "010950600013435217290131" + "21ABC123", ErrMissing},
		{"no expiry", "https://id.gs1.org/01/09506000134352/10/L1/21/ABC123", ErrMissing},
		{"no gtin", "(21)ABC123(10)L1(17)290131", ErrMissing},
		{"link without 01", "https://id.gs1.org/414/9520123456788", ErrMissing},
		{"duplicate lot", "(01)09506000134352(21)ABC123(10)L1(10)L2(17)290131", ErrMalformed},
		{"duplicate gtin raw", "0109506000134352" + "0100000012345670" + "17290131" + "10L1\x1d21A", ErrMalformed},
		{"short gtin hri", "(01)9506000134352(21)ABC123(10)L1(17)290131", ErrMalformed},
		{"bad month", "(01)09506000134352(21)ABC123(10)L1(17)291331", ErrMalformed},
		{"day past month end", "(01)09506000134352(21)ABC123(10)L1(17)290230", ErrMalformed},
		{"serial too long", "(01)09506000134352(21)" + strings.Repeat("A", 21) + "(10)L1(17)290131", ErrMalformed},
		{"lot missing GS runs long", "010950600013435210LOT1234567890123456721ABC\x1d17290131", ErrMalformed},
		{"serial not set 82", "(01)09506000134352(21)AB C#(10)L1(17)290131", ErrMalformed},
		{"empty lot", "(01)09506000134352(21)ABC123(10)(17)290131", ErrMalformed},
		{"text before AI", "GTIN(01)09506000134352", ErrMalformed},
		{"raw truncated fixed field", "01095060001343", ErrMalformed},
		{"raw non-digit AI", "]d2AB123", ErrMalformed},
		{"undelimitable AI", "0109506000134352" + "23123", ErrMalformed},
		{"bad percent", "https://id.gs1.org/01/09506000134352/10/L%ZZ/21/ABC123?17=290131", ErrMalformed},
		{"link non-AI segment", "https://id.gs1.org/01/09506000134352/lot/L1?17=290131", ErrMalformed},
		{"link no path", "https://id.gs1.org", ErrMalformed},
	} {
		_, err := ParseAt(tc.in, clock)
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: ParseAt(%q) err = %v, want %v", tc.name, tc.in, err, tc.want)
		}
	}
}

func TestRoundTrip(t *testing.T) {
	p := Pack{GTIN: exampleGTIN, Serial: "S/1?&%(21)+x", Lot: `(10)"a'!`, Expiry: "300600"}
	var err error
	if p.ExpiryDate, err = ResolveExpiry(p.Expiry, clock); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{p.ElementString(), p.DigitalLink(""), p.DigitalLink("example.org/dl")} {
		got, err := ParseAt(s, clock)
		if err != nil || got != p {
			t.Errorf("ParseAt(%q) = %+v, %v; want %+v", s, got, err, p)
		}
	}
	if got, want := p.DigitalLink(""), "https://id.gs1.org/01/09506000134352/10/%2810%29%22a%27%21/21/S%2F1%3F%26%25%2821%29%2Bx?17=300600"; got != want {
		t.Errorf("DigitalLink = %s, want %s", got, want)
	}
}

// golden is one vector of testdata/parse.json.
type golden struct {
	Input string `json:"input"`
	Pack  *Pack  `json:"pack,omitempty"`
	Error string `json:"error,omitempty"`
}

var goldenInputs = []string{
	"(01)09506000134352(17)290131(10)L1(21)ABC123",
	"(01)09506000134352(21)12345678901234567890(10)ABCDEFGHIJ0123456789(17)270200",
	"]d2010950600013435217290131" + "10L1\x1d21ABC123",
	"]d2\x1d010950600013435217280229" + "10A-1/2\x1d21XYZ",
	"0109506000134352<GS>21ABC123<GS>10L1<GS>17290131",
	"https://id.gs1.org/01/09506000134352/10/ABC%2F123/21/12345?17=290131",
	"https://id.gs1.org/01/09506000134352/10/L1/21/ABC123?17=290131",
	"(01)09506000134353(21)ABC123(10)L1(17)290131",
	"(01)09506000134352(10)L1(17)290131",
	"(01)09506000134352(21)ABC123(10)L1(17)290230",
}

func TestGolden(t *testing.T) {
	var got []golden
	for _, in := range goldenInputs {
		g := golden{Input: in}
		if p, err := ParseAt(in, clock); err != nil {
			g.Error = err.Error()
		} else {
			g.Pack = &p
		}
		got = append(got, g)
	}
	out, err := json.MarshalIndent(got, "", "\t")
	if err != nil {
		t.Fatal(err)
	}
	out = append(out, '\n')
	path := filepath.Join("testdata", "parse.json")
	if *update {
		if err := os.WriteFile(path, out, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create)", err)
	}
	if string(want) != string(out) {
		t.Errorf("parse results differ from %s (run with -update after checking):\n%s", path, out)
	}
}

func FuzzParse(f *testing.F) {
	for _, in := range goldenInputs {
		f.Add(in)
	}
	f.Add("01095060001343521031000025017290131\x1d10L1\x1d21ABC123")
	f.Fuzz(func(t *testing.T, in string) {
		p, err := ParseAt(in, clock)
		if err != nil {
			return
		}
		for _, s := range []string{p.ElementString(), p.DigitalLink("")} {
			q, err := ParseAt(s, clock)
			if err != nil {
				t.Fatalf("%q parsed to %+v whose %q fails: %v", in, p, s, err)
			}
			if q != p {
				t.Fatalf("%q parsed to %+v, its %q to %+v", in, p, s, q)
			}
		}
	})
}

func BenchmarkParse(b *testing.B) {
	in := "]d2010950600013435217290131" + "10L1\x1d21ABC123"
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseAt(in, clock); err != nil {
			b.Fatal(err)
		}
	}
}
