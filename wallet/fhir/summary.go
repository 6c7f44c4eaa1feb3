package fhir

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Summary is what a catalog shows for a resource without decrypting it
// again.
type Summary struct {
	Title    string    // one line for a person, at most MaxTitleRunes runes
	Date     time.Time // the clinically meaningful date; zero if none
	Category string    // CategoryOf the resource type
}

// Summarize describes a resource for the catalog. It never fails: for
// content it cannot read, the title falls back to the resource type and id.
func Summarize(r Resource) Summary {
	m := decodeObject(r.JSON)
	typ := r.Type
	if typ == "" {
		typ = str(m["resourceType"])
	}
	s := Summary{Category: CategoryOf(typ)}
	if m != nil {
		s.Title = cleanTitle(titleOf(typ, m))
		s.Date = dateOf(m)
	}
	if s.Title == "" {
		id := r.ID
		if id == "" {
			id = str(m["id"])
		}
		s.Title = cleanTitle(strings.TrimSpace(typ + " " + id))
		if s.Title == "" {
			s.Title = "Unnamed record"
		}
	}
	return s
}

type object = map[string]any

func decodeObject(b []byte) object {
	b = trimJSONSpace(b)
	if len(b) == 0 || b[0] != '{' || !depthWithin(b, MaxDepth) {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m object
	if dec.Decode(&m) != nil {
		return nil
	}
	return m
}

// --- titles ---------------------------------------------------------------

func titleOf(typ string, m object) string {
	switch typ {
	case "Observation":
		return observationTitle(m)
	case "Condition", "Procedure", "AllergyIntolerance", "DiagnosticReport",
		"Medication", "ClinicalImpression", "RiskAssessment":
		return concept(m["code"])
	case "ServiceRequest", "DeviceRequest", "NutritionOrder":
		return firstOf(concept(m["code"]), concept(m["codeCodeableConcept"]))
	case "MedicationRequest", "MedicationStatement", "MedicationAdministration", "MedicationDispense":
		return firstOf(concept(m["medicationCodeableConcept"]), display(m["medicationReference"]))
	case "Immunization":
		return concept(m["vaccineCode"])
	case "ImmunizationRecommendation":
		return concept(path(m, "recommendation", "vaccineCode"))
	case "Encounter":
		return encounterTitle(m)
	case "Patient", "Practitioner", "RelatedPerson", "Person":
		return humanName(m["name"])
	case "Organization", "Location", "HealthcareService":
		return str(m["name"])
	case "PractitionerRole":
		return practitionerRoleTitle(m)
	case "DocumentReference":
		return firstOf(str(m["description"]), concept(m["type"]),
			str(path(m, "content", "attachment", "title")), concept(m["category"]))
	case "Composition":
		return firstOf(str(m["title"]), concept(m["type"]))
	case "Media":
		return firstOf(str(path(m, "content", "title")), concept(m["type"]), concept(m["modality"]))
	case "CarePlan":
		return firstOf(str(m["title"]), concept(m["category"]), str(m["description"]))
	case "CareTeam":
		return firstOf(str(m["name"]), concept(m["category"]))
	case "Goal":
		return concept(m["description"])
	case "Claim", "ExplanationOfBenefit":
		return claimTitle(typ, m)
	case "Coverage":
		return coverageTitle(m)
	case "Device":
		return firstOf(cleanConcept(str(path(m, "deviceName", "name"))), concept(m["type"]), str(m["modelNumber"]))
	case "DeviceUseStatement":
		return display(m["device"])
	case "Binary":
		return str(m["contentType"])
	case "ImagingStudy":
		return imagingStudyTitle(m)
	case "FamilyMemberHistory":
		return familyHistoryTitle(m)
	case "Specimen":
		return concept(m["type"])
	case "Appointment":
		return firstOf(str(m["description"]), concept(m["serviceType"]), concept(m["appointmentType"]))
	}
	// Any other type: the usual naming elements, in order.
	return firstOf(str(m["title"]), str(m["name"]), concept(m["code"]),
		str(m["description"]), concept(m["type"]))
}

func observationTitle(m object) string {
	name := concept(m["code"])
	if bp := bloodPressure(m); bp != "" {
		return labelled(firstOf(name, "Blood pressure"), bp)
	}
	if v := valueText(m); v != "" {
		return labelled(name, v)
	}
	if c := componentsText(m); c != "" {
		if name == "" {
			return c
		}
		return name + " — " + c
	}
	if reason := concept(m["dataAbsentReason"]); reason != "" && name != "" {
		return name + " (no value: " + reason + ")"
	}
	return name
}

func labelled(label, value string) string {
	if label == "" {
		return value
	}
	return label + ": " + value
}

const (
	loincSystolic  = "8480-6"
	loincDiastolic = "8462-4"
)

// bloodPressure renders "120/80 mmHg" from systolic and diastolic components.
func bloodPressure(m object) string {
	var sys, dia object
	for _, c := range arr(m["component"]) {
		co := obj(c)
		q := obj(co["valueQuantity"])
		if q == nil {
			continue
		}
		switch {
		case hasCode(co["code"], "http://loinc.org", loincSystolic):
			sys = q
		case hasCode(co["code"], "http://loinc.org", loincDiastolic):
			dia = q
		}
	}
	if sys == nil || dia == nil {
		return ""
	}
	s, d := num(sys["value"]), num(dia["value"])
	if s == "" || d == "" {
		return ""
	}
	out := roundedInt(s) + "/" + roundedInt(d)
	if u := humanUnit(firstOf(str(sys["unit"]), str(sys["code"]))); u != "" {
		out += " " + u
	}
	return out
}

// hasCode reports whether a CodeableConcept has a coding with this code
// (and this system, or no system).
func hasCode(cc any, system, code string) bool {
	for _, c := range arr(obj(cc)["coding"]) {
		co := obj(c)
		if str(co["code"]) == code {
			if sys := str(co["system"]); sys == "" || sys == system {
				return true
			}
		}
	}
	return false
}

// valueText renders the value[x] of an Observation or one of its components.
func valueText(m object) string {
	if q := obj(m["valueQuantity"]); q != nil {
		return quantityText(q)
	}
	if v, ok := m["valueCodeableConcept"]; ok {
		return concept(v)
	}
	if v := str(m["valueString"]); v != "" {
		return v
	}
	if b, ok := m["valueBoolean"].(bool); ok {
		if b {
			return "yes"
		}
		return "no"
	}
	if n := num(m["valueInteger"]); n != "" {
		return n
	}
	if r := obj(m["valueRange"]); r != nil {
		return rangeText(obj(r["low"]), obj(r["high"]))
	}
	if r := obj(m["valueRatio"]); r != nil {
		n, d := quantityText(obj(r["numerator"])), quantityText(obj(r["denominator"]))
		if n != "" && d != "" {
			return n + " / " + d
		}
		return n
	}
	for _, k := range [...]string{"valueDateTime", "valueTime"} {
		if v := str(m[k]); v != "" {
			return v
		}
	}
	if p := obj(m["valuePeriod"]); p != nil {
		if s, e := str(p["start"]), str(p["end"]); s != "" || e != "" {
			return strings.TrimSpace(s + " – " + e)
		}
	}
	if a := obj(m["valueAttachment"]); a != nil {
		return firstOf(str(a["title"]), "attachment")
	}
	return ""
}

func rangeText(low, high object) string {
	l, h := num(low["value"]), num(high["value"])
	unit := humanUnit(firstOf(str(high["unit"]), str(high["code"]), str(low["unit"]), str(low["code"])))
	var s string
	switch {
	case l != "" && h != "":
		s = humanNumber(l) + "–" + humanNumber(h)
	case l != "":
		s = "≥" + humanNumber(l)
	case h != "":
		s = "≤" + humanNumber(h)
	default:
		return ""
	}
	return withUnit(s, unit)
}

const maxComponents = 4

func componentsText(m object) string {
	var parts []string
	comps := arr(m["component"])
	for i, c := range comps {
		if i == maxComponents {
			parts = append(parts, "…")
			break
		}
		co := obj(c)
		if p := labelled(concept(co["code"]), valueText(co)); p != "" {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, "; ")
}

// quantityText renders a Quantity as "<5.2 mg/dL".
func quantityText(q object) string {
	v := num(q["value"])
	if v == "" {
		return ""
	}
	s := str(q["comparator"]) + humanNumber(v)
	return withUnit(s, humanUnit(firstOf(str(q["unit"]), str(q["code"]))))
}

func withUnit(s, unit string) string {
	switch {
	case unit == "":
		return s
	case unit == "%":
		return s + unit
	default:
		return s + " " + unit
	}
}

// humanNumber keeps a number's literal text unless it carries more than
// three decimals (machine-generated values such as 163.93014176284842),
// which are rounded to about four significant digits.
func humanNumber(lit string) string {
	dot := strings.IndexByte(lit, '.')
	if dot < 0 || strings.ContainsAny(lit, "eE") || len(lit)-dot-1 <= 3 {
		return lit
	}
	f, err := strconv.ParseFloat(lit, 64)
	if err != nil || math.IsInf(f, 0) {
		return lit
	}
	a := math.Abs(f)
	var decimals int
	switch {
	case a >= 1000:
		decimals = 0
	case a >= 100:
		decimals = 1
	case a >= 10:
		decimals = 2
	case a >= 1:
		decimals = 3
	case a == 0:
		return "0"
	default: // three significant digits
		decimals = min(int(-math.Floor(math.Log10(a)))+2, 8)
	}
	s := strconv.FormatFloat(f, 'f', decimals, 64)
	if strings.IndexByte(s, '.') >= 0 {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	if s == "-0" {
		s = "0"
	}
	return s
}

// roundedInt renders a number rounded to an integer (blood pressure).
func roundedInt(lit string) string {
	if strings.IndexByte(lit, '.') < 0 && !strings.ContainsAny(lit, "eE") {
		return lit
	}
	f, err := strconv.ParseFloat(lit, 64)
	if err != nil || math.Abs(f) > 1e15 {
		return lit
	}
	return strconv.FormatFloat(math.Round(f), 'f', 0, 64)
}

// wholeUnits are UCUM units (Synthea and many EHRs put the code in
// Quantity.unit too) whose readable form is not derived token by token.
var wholeUnits = map[string]string{
	"mL/min/{1.73_m2}": "mL/min/1.73 m²",
	"mL/min/1.73.m2":   "mL/min/1.73 m²",
	"{beats}/min/{rr}": "beats/min",
	"(score)":          "",
	"1":                "",
	"meq/L":            "mEq/L",
	"%{HemoglobinA1C}": "%",
	"%{hemoglobinA1C}": "%",
}

// unitTokens maps single UCUM atoms (between '/') to readable text.
var unitTokens = map[string]string{
	"mm[Hg]":  "mmHg",
	"Cel":     "°C",
	"[degF]":  "°F",
	"[lb_av]": "lb",
	"[oz_av]": "oz",
	"[in_i]":  "in",
	"[ft_i]":  "ft",
	"[iU]":    "IU",
	"[IU]":    "IU",
	"m[iU]":   "mIU",
	"m[IU]":   "mIU",
	"u[iU]":   "µIU",
	"u[IU]":   "µIU",
	"[HPF]":   "HPF",
	"[LPF]":   "LPF",
	"[ppm]":   "ppm",
	"[pH]":    "pH",
	"a":       "years",
	"mo":      "months",
	"wk":      "weeks",
	"d":       "days",
	"h":       "hours",
}

var superscripts = strings.NewReplacer("0", "⁰", "1", "¹", "2", "²", "3", "³",
	"4", "⁴", "5", "⁵", "6", "⁶", "7", "⁷", "8", "⁸", "9", "⁹", "-", "⁻")

// humanUnit turns a UCUM unit into what a person expects to read:
// "mm[Hg]" -> "mmHg", "10*3/uL" -> "×10³/µL", "kg/m2" -> "kg/m²",
// "{beats}/min" -> "beats/min"; a pure annotation such as "{score}" is no
// unit at all. Text that is not UCUM passes through.
func humanUnit(u string) string {
	u = strings.TrimSpace(u)
	if h, ok := wholeUnits[u]; ok {
		return h
	}
	if len(u) > 40 {
		return u
	}
	if n := len(u); n >= 2 && u[0] == '{' && u[n-1] == '}' && strings.Count(u, "{") == 1 {
		return ""
	}
	// Annotations: a leading "{cells}/uL" names what is counted and stays
	// (without braces); any other "{...}" is dropped.
	var b strings.Builder
	for i := 0; i < len(u); {
		if u[i] != '{' {
			b.WriteByte(u[i])
			i++
			continue
		}
		j := strings.IndexByte(u[i:], '}')
		if j < 0 {
			b.WriteString(u[i:])
			break
		}
		next := i + j + 1
		if b.Len() == 0 && next < len(u) && u[next] == '/' {
			b.WriteString(u[i+1 : i+j])
		}
		i = next
	}
	tokens := strings.Split(b.String(), "/")
	out := tokens[:0]
	for k, t := range tokens {
		if t == "" && k > 0 {
			continue
		}
		out = append(out, unitToken(t))
	}
	return strings.Join(out, "/")
}

func unitToken(t string) string {
	if h, ok := unitTokens[t]; ok {
		return h
	}
	if exp, ok := strings.CutPrefix(t, "10*"); ok && exp != "" && strings.Trim(exp, "-0123456789") == "" {
		return "×10" + superscripts.Replace(exp)
	}
	if len(t) > 1 && t[0] == 'u' && strings.IndexByte("gLmlMU[", t[1]) >= 0 {
		t = "µ" + t[1:]
	}
	if n := len(t); n >= 2 && (t[n-1] == '2' || t[n-1] == '3') && t[n-2] == 'm' {
		t = t[:n-1] + superscripts.Replace(t[n-1:])
	}
	t = strings.NewReplacer("[", "", "]", "", "_", " ").Replace(t)
	return t
}

func encounterTitle(m object) string {
	title := concept(m["type"])
	if title == "" {
		title = encounterClass(obj(m["class"]))
	}
	reason := firstOf(concept(m["reasonCode"]), display(m["reasonReference"]))
	switch {
	case title == "":
		return reason
	case reason == "" || strings.EqualFold(reason, title):
		return title
	default:
		return title + " (" + reason + ")"
	}
}

var encounterClasses = map[string]string{
	"AMB":    "Ambulatory encounter",
	"EMER":   "Emergency encounter",
	"FLD":    "Field encounter",
	"HH":     "Home health encounter",
	"IMP":    "Inpatient encounter",
	"ACUTE":  "Inpatient acute encounter",
	"NONAC":  "Inpatient non-acute encounter",
	"OBSENC": "Observation encounter",
	"PRENC":  "Pre-admission encounter",
	"SS":     "Short stay encounter",
	"VR":     "Virtual encounter",
}

func encounterClass(c object) string {
	if c == nil {
		return ""
	}
	if d := cleanConcept(str(c["display"])); d != "" {
		return d
	}
	code := str(c["code"])
	if h, ok := encounterClasses[code]; ok {
		return h
	}
	if code != "" {
		return "Encounter (" + code + ")"
	}
	return ""
}

func practitionerRoleTitle(m object) string {
	role := firstOf(concept(m["code"]), concept(m["specialty"]))
	who := display(m["practitioner"])
	org := display(m["organization"])
	switch {
	case role != "" && who != "":
		return role + " — " + who
	case role != "" && org != "":
		return role + " at " + org
	default:
		return firstOf(role, who, org)
	}
}

var claimTypes = map[string]string{
	"institutional": "Institutional",
	"oral":          "Dental",
	"pharmacy":      "Pharmacy",
	"professional":  "Professional",
	"vision":        "Vision",
}

func claimTitle(typ string, m object) string {
	kind := concept(m["type"])
	if h, ok := claimTypes[kind]; ok { // a bare code
		kind = h
	}
	var head string
	if typ == "Claim" {
		head = "Claim"
		if kind != "" {
			head = kind + " claim"
		}
	} else {
		head = "Explanation of benefits"
		if kind != "" {
			head += " (" + strings.ToLower(kind) + ")"
		}
	}
	what := concept(path(m, "item", "productOrService"))
	var total string
	if typ == "Claim" {
		total = moneyText(obj(m["total"]))
	} else {
		// EOB.total is a list of amounts by category; prefer "submitted".
		totals := arr(m["total"])
		for _, t := range totals {
			if hasCode(obj(t)["category"], "http://terminology.hl7.org/CodeSystem/adjudication", "submitted") {
				total = moneyText(obj(obj(t)["amount"]))
				break
			}
		}
		if total == "" && len(totals) > 0 {
			total = moneyText(obj(obj(totals[0])["amount"]))
		}
	}
	title := head
	if what != "" {
		title += ": " + what
	}
	if total != "" {
		title += " — " + total
	}
	return title
}

var currencySymbols = map[string]string{"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹"}

// moneyText renders Money as "$1,234.50" (or "1,234.50 CHF").
func moneyText(m object) string {
	v := num(m["value"])
	if v == "" {
		return ""
	}
	cur := str(m["currency"])
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || math.Abs(f) >= 1e15 {
		return strings.TrimSpace(v + " " + cur)
	}
	s := strconv.FormatFloat(math.Abs(f), 'f', 2, 64)
	intPart, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	for i, c := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	amount := b.String() + "." + frac
	if f < 0 {
		amount = "-" + amount
	}
	if sym, ok := currencySymbols[cur]; ok {
		return sym + amount
	}
	return strings.TrimSpace(amount + " " + cur)
}

func coverageTitle(m object) string {
	what := firstOf(concept(m["type"]), display(m["payor"]), concept(path(m, "class", "type")))
	if what == "" {
		return "Insurance coverage"
	}
	return "Insurance coverage: " + what
}

func imagingStudyTitle(m object) string {
	if t := firstOf(str(m["description"]), concept(m["procedureCode"])); t != "" {
		return t
	}
	series := obj(first(m["series"]))
	modality := firstOf(codingText(series["modality"]), codingText(first(m["modality"])))
	site := codingText(series["bodySite"])
	switch {
	case modality != "" && site != "":
		return modality + " (" + site + ")"
	case modality != "":
		return modality + " imaging study"
	}
	return ""
}

func familyHistoryTitle(m object) string {
	who := firstOf(str(m["name"]), concept(m["relationship"]))
	what := concept(path(m, "condition", "code"))
	switch {
	case who != "" && what != "":
		return who + ": " + what
	case what != "":
		return "Family history: " + what
	case who != "":
		return "Family history: " + who
	}
	return ""
}

// humanName picks the name a person would use (official, then usual, then
// any current one) and renders "prefix given family suffix".
func humanName(v any) string {
	names := arr(v)
	if names == nil {
		if o := obj(v); o != nil {
			names = []any{o}
		}
	}
	var best object
	bestScore := -100
	for _, n := range names {
		no := obj(n)
		if no == nil {
			continue
		}
		score := 1
		switch str(no["use"]) {
		case "official":
			score = 3
		case "usual":
			score = 2
		case "nickname", "anonymous", "temp":
			score = 0
		case "old", "maiden":
			score = -1
		}
		if score > bestScore {
			best, bestScore = no, score
		}
	}
	if best == nil {
		return ""
	}
	if t := str(best["text"]); strings.TrimSpace(t) != "" {
		return t
	}
	var parts []string
	for _, p := range arr(best["prefix"]) {
		parts = append(parts, str(p))
	}
	for _, g := range arr(best["given"]) {
		parts = append(parts, str(g))
	}
	parts = append(parts, str(best["family"]))
	for _, s := range arr(best["suffix"]) {
		parts = append(parts, str(s))
	}
	return strings.Join(nonEmpty(parts), " ")
}

// --- concepts -------------------------------------------------------------

// concept renders a CodeableConcept (or the first readable one of a list):
// its text, else the first coding display, else the first code.
func concept(v any) string {
	if list := arr(v); list != nil {
		var code string
		for _, c := range list {
			if t := conceptText(obj(c)); t != "" {
				return t
			}
			if code == "" {
				code = conceptCode(obj(c))
			}
		}
		return code
	}
	o := obj(v)
	return firstOf(conceptText(o), conceptCode(o))
}

func conceptText(cc object) string {
	if t := cleanConcept(str(cc["text"])); t != "" {
		return t
	}
	for _, c := range arr(cc["coding"]) {
		if d := cleanConcept(str(obj(c)["display"])); d != "" {
			return d
		}
	}
	return ""
}

func conceptCode(cc object) string {
	for _, c := range arr(cc["coding"]) {
		if code := strings.TrimSpace(str(obj(c)["code"])); code != "" {
			return code
		}
	}
	return ""
}

// codingText renders a Coding: display, else code.
func codingText(v any) string {
	c := obj(v)
	return firstOf(cleanConcept(str(c["display"])), strings.TrimSpace(str(c["code"])))
}

// display returns a Reference's display (or the first one's, for a list).
func display(v any) string {
	if list := arr(v); list != nil {
		for _, r := range list {
			if d := str(obj(r)["display"]); strings.TrimSpace(d) != "" {
				return d
			}
		}
		return ""
	}
	return str(obj(v)["display"])
}

// snomedTags are the SNOMED CT semantic tags that end a fully specified
// name, e.g. "Sepsis (disorder)". They mean nothing to a patient.
var snomedTags = map[string]bool{
	"disorder": true, "finding": true, "procedure": true, "situation": true,
	"substance": true, "physical object": true, "observable entity": true,
	"qualifier value": true, "morphologic abnormality": true,
	"regime/therapy": true, "event": true, "body structure": true,
	"product": true, "medicinal product": true, "medicinal product form": true,
	"clinical drug": true, "organism": true, "record artifact": true,
	"assessment scale": true, "environment": true, "person": true,
	"social concept": true, "specimen": true, "staging scale": true,
	"occupation": true, "cell": true, "cell structure": true,
	"ethnic group": true, "racial group": true, "life style": true,
	"disposition": true, "role": true, "physical force": true,
	"environment / location": true, "geographic location": true,
	"tumor staging": true, "special concept": true, "attribute": true,
	"real clinical drug": true, "dose form": true, "basic dose form": true,
	"namespace concept": true, "navigational concept": true,
	"religion/philosophy": true, "administration method": true,
	"contextual qualifier": true,
}

func cleanConcept(s string) string {
	s = strings.TrimSpace(s)
	if !strings.HasSuffix(s, ")") {
		return s
	}
	open := strings.LastIndex(s, " (")
	if open <= 0 {
		return s
	}
	if snomedTags[s[open+2:len(s)-1]] {
		return strings.TrimSpace(s[:open])
	}
	return s
}

// cleanTitle makes s safe and tidy for a one-line list: control, format
// (zero-width, bidi override) and separator characters removed or turned
// into spaces, runs of space collapsed, length capped.
func cleanTitle(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	n := 0
	for _, r := range s {
		switch {
		case r == utf8.RuneError:
			continue
		case unicode.IsSpace(r) || unicode.Is(unicode.Zl, r) || unicode.Is(unicode.Zp, r):
			space = b.Len() > 0
			continue
		case unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Co, r) || unicode.Is(unicode.Cs, r):
			continue
		}
		if space {
			b.WriteByte(' ')
			n++
			space = false
		}
		if n == MaxTitleRunes-1 {
			b.WriteRune('…')
			return b.String()
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}

// --- dates ----------------------------------------------------------------

// datePaths lists, in order of preference, where the clinically meaningful
// date of a resource is found. Each is tried on every type: the elements
// are named so that a type has at most a few of them.
var datePaths = [][]string{
	{"effectiveDateTime"}, {"effectivePeriod", "start"}, {"effectiveInstant"},
	{"onsetDateTime"}, {"onsetPeriod", "start"}, {"recordedDate"},
	{"authoredOn"}, {"occurrenceDateTime"},
	{"performedDateTime"}, {"performedPeriod", "start"},
	{"period", "start"}, {"issued"}, {"date"}, {"birthDate"},
	{"billablePeriod", "start"}, {"created"},
	// Beyond the common ones: ImagingStudy, Goal, MedicationDispense,
	// QuestionnaireResponse, Provenance, Communication, MedicationStatement,
	// Specimen, Media, DocumentReference, Bundle.
	{"started"}, {"occurrencePeriod", "start"}, {"startDate"},
	{"target", "dueDate"}, {"statusDate"}, {"whenHandedOver"},
	{"authored"}, {"recorded"}, {"sent"}, {"dateAsserted"},
	{"collection", "collectedDateTime"}, {"createdDateTime"},
	{"context", "period", "start"}, {"timestamp"},
	{"meta", "lastUpdated"},
}

func dateOf(m object) time.Time {
	for _, p := range datePaths {
		if s := str(path(m, p...)); s != "" {
			if t, ok := ParseDate(s); ok {
				return t
			}
		}
	}
	return time.Time{}
}

// --- generic access -------------------------------------------------------

func obj(v any) object {
	m, _ := v.(map[string]any)
	return m
}

func arr(v any) []any {
	a, _ := v.([]any)
	return a
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// num returns a JSON number's literal text ("" if v is not a number).
func num(v any) string {
	n, _ := v.(json.Number)
	return string(n)
}

// first returns v, or its first element if v is a list.
func first(v any) any {
	if a, ok := v.([]any); ok {
		if len(a) == 0 {
			return nil
		}
		return a[0]
	}
	return v
}

// path walks object keys, stepping into the first element of any list.
func path(m object, keys ...string) any {
	var v any = m
	for _, k := range keys {
		v = obj(first(v))[k]
		if v == nil {
			return nil
		}
	}
	return v
}

func firstOf(ss ...string) string {
	for _, s := range ss {
		if strings.TrimSpace(s) != "" {
			return s
		}
	}
	return ""
}

func nonEmpty(ss []string) []string {
	out := ss[:0]
	for _, s := range ss {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}
