package fhir

import (
	"encoding/base64"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Field is one labelled line of a resource as a person reads it.
type Field struct {
	Label string
	Value string // may hold several lines
}

// maxFieldRunes bounds one field's value (a note or a report's text): a
// viewer shows the rest through the raw JSON.
const maxFieldRunes = 20000

// maxListed bounds how many entries of a list (results, claim items) a
// field names.
const maxListed = 30

// Display turns a FHIR resource into labelled fields, in the order a
// person reads them: codes by their display text, dates as "3 Dec 2026",
// quantities with their units, statuses, periods and the people involved.
// It never fails: content it cannot read gives fewer fields (none for
// something that is not a JSON object), and a type it does not know gives
// the usual naming elements, status and date.
func Display(resourceType string, data []byte) []Field {
	m := decodeObject(data)
	if m == nil {
		return nil
	}
	if resourceType == "" {
		resourceType = str(m["resourceType"])
	}
	var f fields
	switch resourceType {
	case "Patient":
		patientFields(&f, m)
	case "Condition":
		conditionFields(&f, m)
	case "Observation":
		observationFields(&f, m)
	case "MedicationRequest", "MedicationStatement", "MedicationAdministration", "MedicationDispense":
		medicationFields(&f, m)
	case "AllergyIntolerance":
		allergyFields(&f, m)
	case "Immunization":
		immunizationFields(&f, m)
	case "Procedure":
		procedureFields(&f, m)
	case "Encounter":
		encounterFields(&f, m)
	case "DiagnosticReport":
		reportFields(&f, m)
	case "DocumentReference":
		documentFields(&f, m)
	case "CarePlan":
		carePlanFields(&f, m)
	case "Claim", "ExplanationOfBenefit":
		claimFields(&f, resourceType, m)
	default:
		genericFields(&f, resourceType, m)
	}
	return f.list
}

// fields collects non-empty fields.
type fields struct{ list []Field }

func (f *fields) add(label, value string) {
	value = cleanValue(value)
	if value != "" {
		f.list = append(f.list, Field{Label: label, Value: value})
	}
}

// addNew adds a field unless another already says the same (an issue date
// equal to the date, a category that names the plan): saying it twice is
// noise.
func (f *fields) addNew(label, value string) {
	value = cleanValue(value)
	for _, fl := range f.list {
		if fl.Value == value {
			return
		}
	}
	f.add(label, value)
}

func patientFields(f *fields, m object) {
	f.add("Name", humanName(m["name"]))
	f.add("Born", FormatDate(str(m["birthDate"])))
	if d := str(m["deceasedDateTime"]); d != "" {
		f.add("Died", FormatDate(d))
	} else if b, ok := m["deceasedBoolean"].(bool); ok && b {
		f.add("Died", "Yes")
	}
	f.add("Gender", humanCode(str(m["gender"])))
	f.add("Marital status", maritalStatus(m["maritalStatus"]))
	f.add("Address", address(first(m["address"])))
	f.add("Phone", telecom(m["telecom"], "phone"))
	f.add("Email", telecom(m["telecom"], "email"))
	f.add("Language", concept(path(m, "communication", "language")))
	f.add("General practitioner", refText(m["generalPractitioner"]))
	f.add("Organization", refText(m["managingOrganization"]))
}

func conditionFields(f *fields, m object) {
	f.add("Condition", concept(m["code"]))
	f.add("Clinical status", codeConcept(m["clinicalStatus"]))
	f.add("Verification", codeConcept(m["verificationStatus"]))
	f.add("Category", codeConcepts(m["category"]))
	f.add("Severity", concept(m["severity"]))
	f.add("Body site", concepts(m["bodySite"]))
	f.add("Onset", timeChoice(m, "onset"))
	f.add("Resolved", timeChoice(m, "abatement"))
	f.add("Recorded", FormatDate(str(m["recordedDate"])))
	f.add("Recorded by", firstOf(refText(m["recorder"]), refText(m["asserter"])))
	f.add("Notes", notes(m["note"]))
}

func observationFields(f *fields, m object) {
	f.add("Test", concept(m["code"]))
	if bp := bloodPressure(m); bp != "" {
		f.add("Blood pressure", bp)
	} else {
		f.add("Value", observationValue(m))
	}
	for _, c := range arr(m["component"]) {
		co := obj(c)
		f.add(firstOf(concept(co["code"]), "Component"), observationValue(co))
	}
	if reason := concept(m["dataAbsentReason"]); reason != "" {
		f.add("No value", reason)
	}
	f.add("Interpretation", concepts(m["interpretation"]))
	f.add("Normal range", referenceRange(m["referenceRange"]))
	f.add("Status", humanCode(str(m["status"])))
	f.add("Category", codeConcepts(m["category"]))
	f.add("Date", timeChoice(m, "effective"))
	f.addNew("Issued", FormatDate(str(m["issued"])))
	f.add("Performer", displays(m["performer"]))
	f.add("Body site", concept(m["bodySite"]))
	f.add("Method", concept(m["method"]))
	f.add("Notes", notes(m["note"]))
}

// observationValue is valueText with dates written for people.
func observationValue(m object) string {
	for _, k := range [...]string{"valueDateTime", "valueInstant"} {
		if v := str(m[k]); v != "" {
			return FormatDate(v)
		}
	}
	if p := obj(m["valuePeriod"]); p != nil {
		return period(p)
	}
	return valueText(m)
}

func referenceRange(v any) string {
	var parts []string
	for _, r := range arr(v) {
		ro := obj(r)
		s := firstOf(str(ro["text"]), rangeText(obj(ro["low"]), obj(ro["high"])))
		if s == "" {
			continue
		}
		if who := concepts(ro["appliesTo"]); who != "" {
			s += " (" + who + ")"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}

func medicationFields(f *fields, m object) {
	f.add("Medication", firstOf(concept(m["medicationCodeableConcept"]), refText(m["medicationReference"])))
	f.add("Status", humanCode(str(m["status"])))
	f.add("Intent", humanCode(str(m["intent"])))
	f.add("Category", codeConcepts(m["category"]))
	f.add("Dosage", dosage(m))
	f.add("Reason", firstOf(concepts(m["reasonCode"]), displays(m["reasonReference"])))
	f.add("Prescribed", FormatDate(str(m["authoredOn"])))
	f.add("Taken", firstOf(timeChoice(m, "effective"), FormatDate(str(m["dateAsserted"]))))
	f.add("Handed over", FormatDate(str(m["whenHandedOver"])))
	f.add("Prescriber", refText(m["requester"]))
	f.add("Performer", firstOf(refText(path(m, "performer", "actor")), refText(m["performer"])))
	f.add("Notes", notes(m["note"]))
}

func dosage(m object) string {
	list := arr(m["dosageInstruction"])
	if list == nil {
		list = arr(m["dosage"]) // MedicationStatement
	}
	if list == nil {
		if d := obj(m["dosage"]); d != nil { // MedicationAdministration
			return firstOf(str(d["text"]), quantityText(obj(d["dose"])))
		}
	}
	var parts []string
	for _, d := range list {
		do := obj(d)
		if t := str(do["text"]); t != "" {
			parts = append(parts, t)
			continue
		}
		var bits []string
		if dose := quantityText(obj(path(do, "doseAndRate", "doseQuantity"))); dose != "" {
			bits = append(bits, trimZeros(dose)+" per dose")
		}
		if t := timing(obj(do["timing"])); t != "" {
			bits = append(bits, t)
		}
		if b, ok := do["asNeededBoolean"].(bool); ok && b {
			bits = append(bits, "as needed")
		}
		if len(bits) > 0 {
			parts = append(parts, strings.Join(bits, ", "))
		}
	}
	return strings.Join(parts, "\n")
}

// trimZeros writes "1.0" as "1" (Synthea writes counts as decimals).
func trimZeros(n string) string {
	if i := strings.IndexByte(n, '.'); i >= 0 && strings.Trim(n[i+1:], "0") == "" && !strings.ContainsAny(n, "eE ") {
		return n[:i]
	}
	return n
}

var periodUnits = map[string]string{"s": "second", "min": "minute", "h": "hour", "d": "day", "wk": "week", "mo": "month", "a": "year"}

// timing renders a Timing's repeat as "2 times per 1 day".
func timing(t object) string {
	if t == nil {
		return ""
	}
	if c := concept(t["code"]); c != "" {
		return c
	}
	r := obj(t["repeat"])
	freq, per, unit := trimZeros(num(r["frequency"])), trimZeros(num(r["period"])), str(r["periodUnit"])
	if freq == "" || per == "" || unit == "" {
		return ""
	}
	u := periodUnits[unit]
	if u == "" {
		u = unit
	}
	times := freq + " times"
	switch freq {
	case "1":
		times = "once"
	case "2":
		times = "twice"
	}
	if per == "1" {
		return times + " a " + u
	}
	return times + " every " + per + " " + u + "s"
}

func allergyFields(f *fields, m object) {
	f.add("Substance", concept(m["code"]))
	f.add("Type", humanCode(str(m["type"])))
	var cats []string
	for _, c := range arr(m["category"]) {
		cats = append(cats, humanCode(str(c)))
	}
	f.add("Category", strings.Join(nonEmpty(cats), ", "))
	f.add("Criticality", humanCode(str(m["criticality"])))
	f.add("Clinical status", codeConcept(m["clinicalStatus"]))
	f.add("Verification", codeConcept(m["verificationStatus"]))
	var reactions []string
	for _, r := range arr(m["reaction"]) {
		ro := obj(r)
		s := concepts(ro["manifestation"])
		if sev := str(ro["severity"]); sev != "" && s != "" {
			s += " (" + sev + ")"
		}
		reactions = append(reactions, s)
	}
	f.add("Reaction", strings.Join(nonEmpty(reactions), "\n"))
	f.add("Onset", timeChoice(m, "onset"))
	f.add("Recorded", FormatDate(str(m["recordedDate"])))
	f.add("Recorded by", firstOf(refText(m["recorder"]), refText(m["asserter"])))
	f.add("Notes", notes(m["note"]))
}

func immunizationFields(f *fields, m object) {
	f.add("Vaccine", concept(m["vaccineCode"]))
	f.add("Status", humanCode(str(m["status"])))
	f.add("Date", firstOf(FormatDate(str(m["occurrenceDateTime"])), str(m["occurrenceString"])))
	f.add("Dose", quantityText(obj(m["doseQuantity"])))
	f.add("Site", concept(m["site"]))
	f.add("Route", concept(m["route"]))
	f.add("Lot number", str(m["lotNumber"]))
	f.add("Expires", FormatDate(str(m["expirationDate"])))
	f.add("Manufacturer", refText(m["manufacturer"]))
	f.add("Given by", refText(path(m, "performer", "actor")))
	f.add("Location", refText(m["location"]))
	f.add("Reason", concepts(m["reasonCode"]))
	if b, ok := m["primarySource"].(bool); ok && !b {
		f.add("Source", "Reported by someone other than who gave it")
	}
	f.add("Notes", notes(m["note"]))
}

func procedureFields(f *fields, m object) {
	f.add("Procedure", concept(m["code"]))
	f.add("Status", humanCode(str(m["status"])))
	f.add("Category", concept(m["category"]))
	f.add("Date", firstOf(timeChoice(m, "performed")))
	f.add("Reason", firstOf(concepts(m["reasonCode"]), displays(m["reasonReference"])))
	f.add("Body site", concepts(m["bodySite"]))
	f.add("Performer", displays(pluck(m["performer"], "actor")))
	f.add("Location", refText(m["location"]))
	f.add("Outcome", concept(m["outcome"]))
	f.add("Notes", notes(m["note"]))
}

func encounterFields(f *fields, m object) {
	f.add("Visit", firstOf(concept(m["type"]), encounterClass(obj(m["class"]))))
	f.addNew("Class", encounterClass(obj(m["class"])))
	f.add("Status", humanCode(str(m["status"])))
	f.add("When", period(obj(m["period"])))
	f.add("Reason", firstOf(concepts(m["reasonCode"]), displays(m["reasonReference"])))
	f.add("Diagnosis", displays(pluck(m["diagnosis"], "condition")))
	f.add("Seen by", displays(pluck(m["participant"], "individual")))
	f.add("Location", displays(pluck(m["location"], "location")))
	f.add("Provider", refText(m["serviceProvider"]))
	f.add("Discharged to", concept(path(m, "hospitalization", "dischargeDisposition")))
}

func reportFields(f *fields, m object) {
	f.add("Report", concept(m["code"]))
	f.add("Status", humanCode(str(m["status"])))
	f.add("Category", codeConcepts(m["category"]))
	f.add("Date", timeChoice(m, "effective"))
	f.addNew("Issued", FormatDate(str(m["issued"])))
	f.add("Performer", displays(m["performer"]))
	f.add("Results", listDisplays(m["result"]))
	f.add("Conclusion", firstOf(str(m["conclusion"]), concepts(m["conclusionCode"])))
	for _, p := range arr(m["presentedForm"]) {
		f.add(firstOf(str(obj(p)["title"]), "Report text"), attachmentText(obj(p)))
	}
}

func documentFields(f *fields, m object) {
	f.add("Document", firstOf(concept(m["type"]), str(m["description"])))
	f.addNew("Description", str(m["description"]))
	f.add("Status", humanCode(firstOf(str(m["docStatus"]), str(m["status"]))))
	f.add("Category", codeConcepts(m["category"]))
	f.add("Date", FormatDate(str(m["date"])))
	f.add("Period", period(obj(path(m, "context", "period"))))
	f.add("Author", displays(m["author"]))
	f.add("Custodian", refText(m["custodian"]))
	for _, c := range arr(m["content"]) {
		a := obj(obj(c)["attachment"])
		if a == nil {
			continue
		}
		f.add("File", firstOf(str(a["title"]), str(a["url"])))
		f.add("Format", str(a["contentType"]))
		if size := num(a["size"]); size != "" {
			f.add("Size", size+" bytes")
		}
		f.add("Note", attachmentText(a))
	}
}

func carePlanFields(f *fields, m object) {
	f.add("Plan", firstOf(str(m["title"]), concepts(m["category"])))
	f.add("Category", codeConcepts(m["category"]))
	f.addNew("Description", str(m["description"]))
	f.add("Status", humanCode(str(m["status"])))
	f.add("Intent", humanCode(str(m["intent"])))
	f.add("Period", period(obj(m["period"])))
	f.add("Addresses", listDisplays(m["addresses"]))
	var acts []string
	for _, a := range arr(m["activity"]) {
		d := obj(obj(a)["detail"])
		s := firstOf(concept(d["code"]), str(d["description"]), refText(obj(a)["reference"]))
		if st := humanCode(str(d["status"])); s != "" && st != "" {
			s += " (" + strings.ToLower(st) + ")"
		}
		acts = append(acts, s)
	}
	f.add("Activities", strings.Join(capList(nonEmpty(acts)), "\n"))
	f.add("Care team", displays(m["careTeam"]))
	f.add("Notes", notes(m["note"]))
}

func claimFields(f *fields, typ string, m object) {
	f.add("Claim", claimTitle(typ, m))
	f.add("Status", humanCode(str(m["status"])))
	f.add("Outcome", humanCode(str(m["outcome"])))
	f.add("Type", claimType(concept(m["type"])))
	f.add("Use", humanCode(str(m["use"])))
	f.add("Billed period", period(obj(m["billablePeriod"])))
	f.add("Created", FormatDate(str(m["created"])))
	f.add("Provider", refText(m["provider"]))
	f.add("Insurer", refText(m["insurer"]))
	f.add("Insurance", displays(pluck(m["insurance"], "coverage")))
	var items []string
	for _, it := range arr(m["item"]) {
		io := obj(it)
		s := concept(io["productOrService"])
		if net := moneyText(obj(io["net"])); s != "" && net != "" {
			s += " — " + net
		}
		items = append(items, s)
	}
	f.add("Items", strings.Join(capList(nonEmpty(items)), "\n"))
	if typ == "Claim" {
		f.add("Total", moneyText(obj(m["total"])))
		return
	}
	var totals []string
	for _, t := range arr(m["total"]) {
		to := obj(t)
		if amount := moneyText(obj(to["amount"])); amount != "" {
			totals = append(totals, labelled(concept(to["category"]), amount))
		}
	}
	f.add("Totals", strings.Join(totals, "\n"))
	f.add("Paid", moneyText(obj(path(m, "payment", "amount"))))
}

func genericFields(f *fields, typ string, m object) {
	f.add("Name", cleanTitle(titleOf(typ, m)))
	f.add("Status", humanCode(firstOf(str(m["status"]), str(m["lifecycleStatus"]))))
	f.add("Category", codeConcepts(m["category"]))
	if d := dateOf(m); !d.IsZero() {
		f.add("Date", formatTime(d, false))
	}
	f.addNew("Description", cleanDescription(m))
	f.add("Address", address(first(m["address"])))
	f.add("Phone", telecom(m["telecom"], "phone"))
	f.add("Notes", notes(m["note"]))
}

func cleanDescription(m object) string {
	if d := str(m["description"]); d != "" {
		return d
	}
	return concept(m["description"]) // Goal.description is a CodeableConcept
}

// --- dates ----------------------------------------------------------------

// FormatDate writes a FHIR date, dateTime or instant for a person: "3 Dec
// 2026", "Dec 2026" or "2026" for partial dates, and "3 Dec 2026, 14:05"
// when it has a time of day, in the time zone it was written in. Text that
// is not a FHIR date comes back unchanged.
func FormatDate(s string) string {
	s = strings.TrimSpace(s)
	t, ok := ParseDate(s)
	if !ok {
		return s
	}
	switch len(s) {
	case 4:
		return t.Format("2006")
	case 7:
		return t.Format("Jan 2006")
	case 10:
		return t.Format("2 Jan 2006")
	}
	return formatTime(t, true)
}

func formatTime(t time.Time, withClock bool) string {
	if !withClock || (t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0) {
		return t.Format("2 Jan 2006")
	}
	return t.Format("2 Jan 2006, 15:04")
}

// period renders a Period: "3 Dec 2026, 09:00–09:30" on one day, "3 Dec
// 2026 – 5 Dec 2026" across days, "from 3 Dec 2026" when open.
func period(p object) string {
	start, end := str(p["start"]), str(p["end"])
	st, sok := ParseDate(start)
	et, eok := ParseDate(end)
	switch {
	case start == "" && end == "":
		return ""
	case end == "":
		return "from " + FormatDate(start)
	case start == "":
		return "until " + FormatDate(end)
	case sok && eok && len(start) > 10 && len(end) > 10 && st.Format("2006-01-02") == et.In(st.Location()).Format("2006-01-02"):
		if st.Equal(et) {
			return FormatDate(start)
		}
		return st.Format("2 Jan 2006, 15:04") + "–" + et.In(st.Location()).Format("15:04")
	}
	if FormatDate(start) == FormatDate(end) {
		return FormatDate(start)
	}
	return FormatDate(start) + " – " + FormatDate(end)
}

// timeChoice renders a choice element such as onset[x] or effective[x].
func timeChoice(m object, prefix string) string {
	if d := str(m[prefix+"DateTime"]); d != "" {
		return FormatDate(d)
	}
	if d := str(m[prefix+"Instant"]); d != "" {
		return FormatDate(d)
	}
	if p := obj(m[prefix+"Period"]); p != nil {
		return period(p)
	}
	if a := obj(m[prefix+"Age"]); a != nil {
		if q := quantityText(a); q != "" {
			return "at age " + q
		}
	}
	if r := obj(m[prefix+"Range"]); r != nil {
		return rangeText(obj(r["low"]), obj(r["high"]))
	}
	if b, ok := m[prefix+"Boolean"].(bool); ok && b {
		return "Yes"
	}
	return str(m[prefix+"String"])
}

// --- other elements -------------------------------------------------------

// concepts renders every CodeableConcept of a list, comma-separated.
func concepts(v any) string {
	list := arr(v)
	if list == nil {
		return concept(v)
	}
	var out []string
	seen := map[string]bool{}
	for _, c := range list {
		if s := concept(c); s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return strings.Join(out, ", ")
}

// codeConcept is concept with a bare code ("active", "vital-signs")
// written as words.
func codeConcept(v any) string {
	s := concept(v)
	if s != "" && strings.IndexFunc(s, unicode.IsUpper) < 0 && !strings.Contains(s, " ") {
		return humanCode(s)
	}
	return s
}

func codeConcepts(v any) string {
	list := arr(v)
	if list == nil {
		return codeConcept(v)
	}
	var out []string
	seen := map[string]bool{}
	for _, c := range list {
		if s := codeConcept(c); s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return strings.Join(out, ", ")
}

// maritalStatuses are HL7 v3 MaritalStatus codes, which often come
// without a display.
var maritalStatuses = map[string]string{
	"A": "Annulled", "D": "Divorced", "I": "Interlocutory", "L": "Legally separated",
	"M": "Married", "C": "Common law", "P": "Polygamous", "T": "Domestic partner",
	"U": "Unmarried", "S": "Never married", "W": "Widowed", "UNK": "Unknown",
}

func maritalStatus(v any) string {
	s := concept(v)
	if h, ok := maritalStatuses[s]; ok {
		return h
	}
	return s
}

func claimType(s string) string {
	if h, ok := claimTypes[s]; ok {
		return h
	}
	return s
}

// displays renders the displays of a list of References, comma-separated.
func displays(v any) string {
	list := arr(v)
	if list == nil {
		return refText(v)
	}
	var out []string
	for _, r := range list {
		if d := strings.TrimSpace(refText(r)); d != "" {
			out = append(out, d)
		}
	}
	return strings.Join(capList(out), ", ")
}

// listDisplays renders References one per line.
func listDisplays(v any) string {
	var out []string
	for _, r := range arr(v) {
		if d := strings.TrimSpace(refText(r)); d != "" {
			out = append(out, d)
		}
	}
	return strings.Join(capList(out), "\n")
}

// refText is a Reference's display (the first one's, for a list), without
// a SNOMED CT semantic tag ("Anemia (disorder)" reads "Anemia").
func refText(v any) string { return cleanConcept(display(v)) }

// pluck returns the key of each object of a list.
func pluck(v any, key string) []any {
	var out []any
	for _, e := range arr(v) {
		if x := obj(e)[key]; x != nil {
			out = append(out, x)
		}
	}
	return out
}

func capList(ss []string) []string {
	if len(ss) <= maxListed {
		return ss
	}
	more := len(ss) - maxListed
	return append(ss[:maxListed:maxListed], "and "+strconv.Itoa(more)+" more")
}

func address(v any) string {
	a := obj(v)
	if a == nil {
		return ""
	}
	if t := str(a["text"]); t != "" {
		return t
	}
	var lines []string
	for _, l := range arr(a["line"]) {
		lines = append(lines, str(l))
	}
	city := strings.Join(nonEmpty([]string{str(a["city"]), str(a["state"]), str(a["postalCode"])}), " ")
	lines = append(lines, city, str(a["country"]))
	return strings.Join(nonEmpty(lines), ", ")
}

func telecom(v any, system string) string {
	for _, t := range arr(v) {
		to := obj(t)
		if str(to["system"]) == system {
			if s := strings.TrimSpace(str(to["value"])); s != "" {
				return s
			}
		}
	}
	return ""
}

func notes(v any) string {
	var out []string
	for _, n := range arr(v) {
		out = append(out, str(obj(n)["text"]))
	}
	return strings.Join(nonEmpty(out), "\n\n")
}

// attachmentText is the text of an inline plain-text attachment (clinical
// notes), or "".
func attachmentText(a object) string {
	ct := strings.ToLower(str(a["contentType"]))
	if !strings.HasPrefix(ct, "text/plain") {
		return ""
	}
	data := str(a["data"])
	if data == "" || len(data) > 4*maxFieldRunes {
		return ""
	}
	b, err := base64.StdEncoding.DecodeString(data)
	if err != nil || !utf8.Valid(b) {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// humanCode turns a code such as "entered-in-error" into "Entered in error".
func humanCode(s string) string {
	s = strings.TrimSpace(strings.NewReplacer("-", " ", "_", " ").Replace(s))
	if s == "" {
		return ""
	}
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[n:]
}

// cleanValue drops control and format characters (keeping line breaks and
// tabs), trims, and caps the length.
func cleanValue(s string) string {
	s = strings.TrimSpace(s)
	clean := true
	for _, r := range s {
		if r == utf8.RuneError || (unicode.IsControl(r) && r != '\n' && r != '\t') || unicode.Is(unicode.Cf, r) {
			clean = false
			break
		}
	}
	if !clean {
		s = strings.Map(func(r rune) rune {
			if r == utf8.RuneError || (unicode.IsControl(r) && r != '\n' && r != '\t') || unicode.Is(unicode.Cf, r) {
				return -1
			}
			return r
		}, s)
	}
	if utf8.RuneCountInString(s) > maxFieldRunes {
		n := 0
		for i := range s {
			if n == maxFieldRunes {
				return s[:i] + "…"
			}
			n++
		}
	}
	return s
}

// HumanUnit writes a UCUM unit as a person reads it: "mm[Hg]" as "mmHg",
// "kg/m2" as "kg/m²"; an annotation alone ("{score}") is no unit.
func HumanUnit(u string) string { return humanUnit(u) }
