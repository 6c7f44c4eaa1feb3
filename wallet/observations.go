package wallet

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/healthwallet/healthwallet/wallet/fhir"
)

// Series is one kind of observation over time: a body weight, a blood
// pressure (two lines, systolic and diastolic), an HbA1c.
type Series struct {
	Code  string // what the observations measure: a LOINC code, else "system|code"
	Name  string // for a person: "Body Weight"
	Unit  string // readable unit of every point: "kg", "mmHg"
	Lines []SeriesLine
}

// SeriesLine is one line of a chart, its points oldest first.
type SeriesLine struct {
	Name   string // "Systolic Blood Pressure"; the series' name for a single line
	Points []SeriesPoint
}

// SeriesPoint is one measured value.
type SeriesPoint struct {
	Time     time.Time
	Value    float64
	RecordID string
}

// Len is the number of observations with a value in the series' unit (the
// points of its longest line).
func (s Series) Len() int {
	n := 0
	for _, l := range s.Lines {
		n = max(n, len(l.Points))
	}
	return n
}

// Span is the time of the first and of the last point.
func (s Series) Span() (first, last time.Time) {
	for _, l := range s.Lines {
		for _, p := range l.Points {
			if first.IsZero() || p.Time.Before(first) {
				first = p.Time
			}
			if p.Time.After(last) {
				last = p.Time
			}
		}
	}
	return first, last
}

// ObservationSeries returns the series of the observations measuring code
// (as SeriesCode names it). It decrypts every Observation of the wallet and
// keeps nothing: a few thousand take well under a second.
func (w *Wallet) ObservationSeries(ctx context.Context, code string) (Series, error) {
	all, err := w.observationSeries(ctx, code)
	if err != nil {
		return Series{}, err
	}
	if len(all) == 0 {
		return Series{Code: code}, nil
	}
	return all[0], nil
}

// ObservationTrends returns every series with at least two values, by
// name.
func (w *Wallet) ObservationTrends(ctx context.Context) ([]Series, error) {
	all, err := w.observationSeries(ctx, "")
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, s := range all {
		if s.Len() >= 2 {
			out = append(out, s)
		}
	}
	return out, nil
}

// observationSeries builds the series of code, or of every code when code
// is empty.
func (w *Wallet) observationSeries(ctx context.Context, code string) ([]Series, error) {
	recs, err := w.catalog.List(ctx, Query{ResourceType: "Observation"})
	if err != nil {
		return nil, fmt.Errorf("observation series: %w", err)
	}
	var (
		mu      sync.Mutex
		samples []observationSample
	)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(runtime.GOMAXPROCS(0))
	for _, rec := range recs {
		if rec.Kind != KindFHIR {
			continue
		}
		g.Go(func() error {
			_, plain, err := w.Read(gctx, rec.ID)
			if err != nil {
				return fmt.Errorf("observation series: %w", err)
			}
			s, ok := parseObservationSample(plain)
			if !ok || (code != "" && s.code != code) {
				return nil
			}
			s.recordID = rec.ID
			mu.Lock()
			samples = append(samples, s)
			mu.Unlock()
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return buildSeries(samples), nil
}

// SeriesCode names the series an Observation belongs to; ok is false when
// it has no numeric value (or no date) to chart.
func SeriesCode(observationJSON []byte) (code string, ok bool) {
	s, ok := parseObservationSample(observationJSON)
	if !ok {
		return "", false
	}
	return s.code, true
}

// observationSample is what one Observation adds to its series.
type observationSample struct {
	code, name string
	time       time.Time
	recordID   string
	values     []namedValue // one, or one per component
}

type namedValue struct {
	key, name, unit string
	value           float64
}

type obsCoding struct {
	System  string `json:"system"`
	Code    string `json:"code"`
	Display string `json:"display"`
}

type obsConcept struct {
	Text   string      `json:"text"`
	Coding []obsCoding `json:"coding"`
}

type obsQuantity struct {
	Value      *json.Number `json:"value"`
	Unit       string       `json:"unit"`
	Code       string       `json:"code"`
	Comparator string       `json:"comparator"`
}

type obsJSON struct {
	ResourceType      string                 `json:"resourceType"`
	Status            string                 `json:"status"`
	Code              obsConcept             `json:"code"`
	EffectiveDateTime string                 `json:"effectiveDateTime"`
	EffectiveInstant  string                 `json:"effectiveInstant"`
	EffectivePeriod   struct{ Start string } `json:"effectivePeriod"`
	Issued            string                 `json:"issued"`
	ValueQuantity     *obsQuantity           `json:"valueQuantity"`
	Component         []struct {
		Code          obsConcept   `json:"code"`
		ValueQuantity *obsQuantity `json:"valueQuantity"`
	} `json:"component"`
}

const loinc = "http://loinc.org"

func parseObservationSample(data []byte) (observationSample, bool) {
	var o obsJSON
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if dec.Decode(&o) != nil || o.ResourceType != "Observation" {
		return observationSample{}, false
	}
	switch o.Status {
	case "entered-in-error", "cancelled", "registered":
		return observationSample{}, false
	}
	s := observationSample{code: conceptKey(o.Code), name: conceptName(o.Code)}
	if s.code == "" {
		return observationSample{}, false
	}
	for _, d := range []string{o.EffectiveDateTime, o.EffectiveInstant, o.EffectivePeriod.Start, o.Issued} {
		if t, ok := fhir.ParseDate(d); ok {
			s.time = t
			break
		}
	}
	if s.time.IsZero() {
		return observationSample{}, false
	}
	if v, unit, ok := quantityValue(o.ValueQuantity); ok {
		s.values = append(s.values, namedValue{key: s.code, name: s.name, unit: unit, value: v})
	} else {
		for _, c := range o.Component {
			if v, unit, ok := quantityValue(c.ValueQuantity); ok {
				if key := conceptKey(c.Code); key != "" {
					s.values = append(s.values, namedValue{key: key, name: conceptName(c.Code), unit: unit, value: v})
				}
			}
		}
	}
	return s, len(s.values) > 0
}

// quantityValue is a Quantity's value; one given only as a bound ("<5")
// is no point on a line.
func quantityValue(q *obsQuantity) (float64, string, bool) {
	if q == nil || q.Value == nil || q.Comparator != "" {
		return 0, "", false
	}
	v, err := q.Value.Float64()
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, "", false
	}
	unit := q.Unit
	if unit == "" {
		unit = q.Code
	}
	return v, fhir.HumanUnit(unit), true
}

// conceptKey prefers the LOINC code: the same test coded by two sources
// shares it.
func conceptKey(c obsConcept) string {
	for _, cd := range c.Coding {
		if cd.System == loinc && cd.Code != "" {
			return cd.Code
		}
	}
	for _, cd := range c.Coding {
		if cd.Code != "" {
			return cd.System + "|" + cd.Code
		}
	}
	return ""
}

func conceptName(c obsConcept) string {
	if t := strings.TrimSpace(c.Text); t != "" {
		return t
	}
	for _, cd := range c.Coding {
		if d := strings.TrimSpace(cd.Display); d != "" {
			return d
		}
	}
	for _, cd := range c.Coding {
		if cd.Code != "" {
			return cd.Code
		}
	}
	return ""
}

// buildSeries groups samples by code. A series keeps the points in its most
// frequent unit: values in another unit cannot share its axis.
func buildSeries(samples []observationSample) []Series {
	byCode := map[string][]observationSample{}
	for _, s := range samples {
		byCode[s.code] = append(byCode[s.code], s)
	}
	var out []Series
	for code, group := range byCode {
		slices.SortFunc(group, func(a, b observationSample) int {
			return cmp.Or(a.time.Compare(b.time), cmp.Compare(a.recordID, b.recordID))
		})
		units := map[string]int{}
		for _, s := range group {
			for _, v := range s.values {
				units[v.unit]++
			}
		}
		unit, best := "", -1
		for u, n := range units {
			if n > best || (n == best && u < unit) {
				unit, best = u, n
			}
		}
		ser := Series{Code: code, Name: group[len(group)-1].name, Unit: unit}
		lineOf := map[string]int{}
		for _, s := range group {
			for _, v := range s.values {
				if v.unit != unit {
					continue
				}
				i, ok := lineOf[v.key]
				if !ok {
					i = len(ser.Lines)
					lineOf[v.key] = i
					ser.Lines = append(ser.Lines, SeriesLine{Name: v.name})
				}
				ser.Lines[i].Points = append(ser.Lines[i].Points, SeriesPoint{Time: s.time, Value: v.value, RecordID: s.recordID})
			}
		}
		// Systolic above diastolic: the line with the higher values first,
		// so colours stay the same from chart to chart.
		slices.SortStableFunc(ser.Lines, func(a, b SeriesLine) int { return -cmp.Compare(meanOf(a), meanOf(b)) })
		out = append(out, ser)
	}
	slices.SortFunc(out, func(a, b Series) int {
		return cmp.Or(cmp.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)), cmp.Compare(a.Code, b.Code))
	})
	return out
}

func meanOf(l SeriesLine) float64 {
	if len(l.Points) == 0 {
		return 0
	}
	var sum float64
	for _, p := range l.Points {
		sum += p.Value
	}
	return sum / float64(len(l.Points))
}
