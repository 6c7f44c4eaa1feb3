package fhir

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// MaxEmergencySummarySize bounds the JSON that EmergencySummary returns. The
// summary is encrypted and its key split among clinic nodes for break-glass
// access, so it must stay small; a summary that would be larger is an error
// wrapping ErrLimit, never a silently truncated one.
const MaxEmergencySummarySize = 4 << 20 // 4 MiB

// Limits on the hand-entered EmergencyExtras fields, in runes.
const (
	maxExtrasNameRunes  = 100
	maxExtrasPhoneRunes = 40
)

var (
	// ErrEmptySummary: EmergencySummary found nothing to put in the summary
	// (no Patient, allergy, medication, condition or blood group in the
	// records, and no blood group or emergency contact in the extras).
	ErrEmptySummary = errors.New("nothing to put in the emergency summary")
	// ErrInvalidExtras: a hand-entered EmergencyExtras field is not valid
	// (an unknown blood group, a phone number without digits, a field that is
	// too long, a contact relationship without a name or phone). The message
	// names the field.
	ErrInvalidExtras = errors.New("invalid emergency summary details")
)

// EmergencyExtras is what the patient adds by hand (all optional).
type EmergencyExtras struct {
	// BloodGroup is one of "A+", "A-", "B+", "B-", "AB+", "AB-", "O+", "O-".
	// Case, spaces, "0" for "O", a Unicode minus sign and the words
	// "pos"/"positive"/"neg"/"negative"/"Rh" are accepted ("ab neg", "0 Rh+").
	BloodGroup string
	// ContactName and ContactPhone describe the emergency contact; at least
	// one of them is needed for a contact. ContactPhone must contain a digit.
	ContactName  string
	ContactPhone string
	// ContactRelationship is free text, e.g. "spouse". It becomes the text of
	// the contact's relationship, which is always coded as the HL7 v2-0131
	// role "C" (Emergency Contact).
	ContactRelationship string
}

// EmergencySummaryInfo says what went into a summary, for the UI ("3
// allergies, 5 medications, ...").
type EmergencySummaryInfo struct {
	Allergies   int // AllergyIntolerance resources
	Medications int // MedicationRequest and MedicationStatement resources (not the Medication resources they reference)
	Conditions  int // Condition resources
	// BloodGroup is the blood group in the summary: "A+" ... "O-" when it is
	// recognised, else the Observation's value as text; "" when there is none.
	BloodGroup string
	Contact    bool // at least one emergency contact (Patient.contact with role C)
	Patient    bool // a Patient resource from the records identifies the patient
}

// Code systems and codes used by EmergencySummary.
const (
	systemLOINC           = "http://loinc.org"
	systemSNOMED          = "http://snomed.info/sct"
	systemV2RelatedRole   = "http://terminology.hl7.org/CodeSystem/v2-0131"
	systemAllergyClinical = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical"
	systemAllergyVerif    = "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification"
	systemCondClinical    = "http://terminology.hl7.org/CodeSystem/condition-clinical"
	systemCondVerif       = "http://terminology.hl7.org/CodeSystem/condition-ver-status"

	loincABORh = "882-1"   // ABO and Rh group [Type] in Blood
	loincABO   = "883-9"   // ABO group [Type] in Blood
	loincRh    = "10331-7" // Rh [Type] in Blood

	snomedRhPositive = "165747007" // RhD positive (finding)
	snomedRhNegative = "165746003" // RhD negative (finding)
)

// bloodGroupCodes are the SNOMED CT findings for the eight ABO/RhD groups,
// as listed in the HL7 Europe eHDSI "Blood Group" value set (and the IPS
// results-blood-group value set): "Blood group A Rh(D) positive (finding)"
// and so on. The sequential-looking codes are not in ABO order; do not
// "fix" them.
var bloodGroupCodes = []struct{ group, snomed, display string }{
	{"A+", "278149003", "Blood group A Rh(D) positive (finding)"},
	{"A-", "278152006", "Blood group A Rh(D) negative (finding)"},
	{"B+", "278150003", "Blood group B Rh(D) positive (finding)"},
	{"B-", "278153001", "Blood group B Rh(D) negative (finding)"},
	{"AB+", "278151004", "Blood group AB Rh(D) positive (finding)"},
	{"AB-", "278154007", "Blood group AB Rh(D) negative (finding)"},
	{"O+", "278147001", "Blood group O Rh(D) positive (finding)"},
	{"O-", "278148006", "Blood group O Rh(D) negative (finding)"},
}

// aboCodes are the SNOMED CT findings for the ABO group alone (the value of
// a LOINC 883-9 Observation).
var aboCodes = map[string]string{
	"112144000": "A",  // Blood group A (finding)
	"112149005": "B",  // Blood group B (finding)
	"165743006": "AB", // Blood group AB (finding)
	"58460004":  "O",  // Blood group O (finding)
}

// EmergencySummary builds the summary a clinician needs when the patient
// cannot speak: who the patient is, allergies, current medications, active
// conditions, blood group and emergency contact. It is a FHIR R4 Bundle of
// type "collection", in the spirit of the International Patient Summary but
// not claiming the IPS profile. records are the wallet's resources (of one
// person); the Bundle is returned as JSON with what went into it.
//
// Selection rules (a status is read from the codings of the standard code
// system, or without a system; a status CodeableConcept with no such code
// counts as absent, so that an allergy of unknown status is shown rather than
// hidden):
//
//   - AllergyIntolerance: clinicalStatus active or absent, and
//     verificationStatus neither refuted nor entered-in-error.
//   - MedicationRequest with status active or on-hold (not doNotPerform);
//     MedicationStatement with status active or intended. A Medication
//     resource in records that one of them references (medicationReference)
//     is included too; it is not counted in Info.Medications.
//   - Condition: clinicalStatus active, recurrence or relapse, or absent; and
//     verificationStatus neither entered-in-error nor refuted (a refuted
//     diagnosis is one the patient does not have). Note that FHIR forbids a
//     clinicalStatus on an entered-in-error Condition or AllergyIntolerance,
//     so the verification check is what excludes those.
//   - Blood group: if extras.BloodGroup is given it wins, and becomes an
//     Observation coded LOINC 882-1 with status "final", effectiveDateTime
//     now, subject and performer the Patient, a SNOMED CT
//     valueCodeableConcept (see bloodGroupCodes) and a note saying the
//     patient reported it. Otherwise, among Observations with status final,
//     amended or corrected: the newest coded LOINC 882-1 (ABO and Rh group),
//     or the newest LOINC 883-9 (ABO group) together with the newest LOINC
//     10331-7 (Rh type), whichever is newer (a pair is as new as its older
//     half, and only a complete pair counts). "Newest" is by the
//     Observation's effective date, then issued.
//   - Patient: one Patient resource, the one most referenced by the selected
//     resources (ties: the first in records), reduced to id, name, gender,
//     birthDate and contact. Of its contacts only emergency contacts
//     (relationship v2-0131 "C") that have a name or telecom are kept,
//     reduced to relationship, name and telecom. Identifiers, addresses, telecoms of the patient, narrative,
//     extensions (e.g. Synthea's race and birthplace) and everything else are
//     dropped: the summary carries only what an emergency needs. The extras
//     contact is added as a contact with relationship {v2-0131 "C",
//     "Emergency Contact"} and the relationship text, name.text and a phone
//     telecom (unless the same name and phone are already there). Without a
//     Patient in records, an extras contact goes into a Patient that has
//     only that contact.
//   - Anything else (encounters, observations other than blood group,
//     claims...) is left out. Absence from the summary does not mean the
//     patient has no allergies or conditions: only what the wallet holds is
//     there.
//
// Resources are de-duplicated by type and id (keeping the newest
// meta.lastUpdated, else the first). Selected resources are otherwise passed
// through, except that references to a resource in the summary
// ("Patient/123", "urn:uuid:…", or an absolute URL ending in Type/id) are
// rewritten to its fullUrl, and empty or whitespace-only strings, empty
// arrays and objects and nulls are removed (FHIR forbids them).
//
// Output is deterministic: the same records, extras and now give the same
// bytes, whatever the order of records and the key order of their JSON.
// Objects are written with resourceType and id first and other keys sorted;
// entries are the Patient, then allergies, medications (requests and
// statements, then Medication resources), conditions and blood group, each
// group sorted newest first (by the date Summarize uses) then by id.
// entry.fullUrl is "urn:uuid:<id>" for a resource whose id is a UUID, else a
// UUID (version 8) derived by SHA-256 from the type and id (or, without an
// id, the content). Bundle.id is the first 16 hex digits of the SHA-256 of
// the entries, so it names the content; Bundle.timestamp is now in UTC.
//
// Errors: ErrEmptySummary when there is nothing to put in the summary;
// ErrInvalidExtras for an invalid extras field; ErrInvalidJSON or ErrNotFHIR
// for a record of a type the summary reads (Patient, AllergyIntolerance,
// Condition, MedicationRequest, MedicationStatement, Medication, Observation)
// whose JSON cannot be read or does not match its Type; ErrLimit when the
// summary would exceed MaxEmergencySummarySize. now must not be zero.
func EmergencySummary(records []Resource, extras EmergencyExtras, now time.Time) ([]byte, EmergencySummaryInfo, error) {
	var info EmergencySummaryInfo
	if now.IsZero() {
		return nil, info, errors.New("fhir: EmergencySummary: now is the zero time")
	}
	ts, err := instant(now.UTC())
	if err != nil {
		return nil, info, fmt.Errorf("fhir: EmergencySummary: %w", err)
	}
	ex, err := checkExtras(extras)
	if err != nil {
		return nil, info, err
	}
	byType, err := collectEmergency(records)
	if err != nil {
		return nil, info, err
	}

	// Selection.
	allergies := filterItems(byType["AllergyIntolerance"], allergySelected)
	conditions := filterItems(byType["Condition"], conditionSelected)
	meds := filterItems(append(slices.Clone(byType["MedicationRequest"]), byType["MedicationStatement"]...), medicationSelected)
	medResources := referencedMedications(meds, byType["Medication"])
	var bloodObs []*emItem
	if ex.bloodGroup == "" {
		bloodObs = pickBloodGroup(byType["Observation"])
	}
	for _, g := range [][]*emItem{allergies, conditions, meds, medResources, bloodObs} {
		slices.SortFunc(g, compareItems)
	}
	selected := slices.Concat(allergies, meds, medResources, conditions, bloodObs)
	patient := choosePatient(byType["Patient"], selected)

	info.Allergies, info.Medications, info.Conditions = len(allergies), len(meds), len(conditions)
	info.Patient = patient != nil
	switch {
	case ex.bloodGroup != "":
		info.BloodGroup = ex.bloodGroup
	case len(bloodObs) > 0:
		info.BloodGroup = bloodGroupOf(bloodObs)
	}

	b := newSummaryBuilder()

	// The Patient comes first: its fullUrl is the subject of a generated
	// blood group Observation.
	var patientURL string
	var pm object
	if patient != nil {
		pm = reducePatient(patient.m)
	}
	if ex.hasContact() {
		if pm == nil {
			pm = object{"resourceType": "Patient"}
		}
		addExtrasContact(pm, ex)
	}
	if pm != nil {
		info.Contact = len(arr(pm["contact"])) > 0
		id := str(pm["id"])
		patientURL = b.url("Patient", id, b.encodeDetached(pm))
		b.addRefTarget("Patient", id, patientURL)
	}

	// fullUrls of the selected resources, before rewriting references.
	urls := make([]string, len(selected))
	for i, it := range selected {
		urls[i] = b.url(it.typ, it.id, it.raw)
		b.addRefTarget(it.typ, it.id, urls[i])
	}
	var bloodObsGen object
	var bloodURL string
	if ex.bloodGroup != "" {
		bloodObsGen = bloodGroupObservation(ex.bloodGroup, ts, patientURL)
		bloodURL = b.url("Observation", str(bloodObsGen["id"]), b.encodeDetached(bloodObsGen))
	}

	if pm != nil {
		if err := b.addEntry(patientURL, pm); err != nil {
			return nil, info, err
		}
	}
	for i, it := range selected {
		b.rewriteRefs(it.m)
		if err := b.addEntry(urls[i], it.m); err != nil {
			return nil, info, err
		}
	}
	if bloodObsGen != nil {
		if err := b.addEntry(bloodURL, bloodObsGen); err != nil {
			return nil, info, err
		}
	}
	if b.entries == 0 {
		return nil, info, errorf(ErrEmptySummary, "there is nothing for an emergency summary: the records hold no patient, allergy, current medication, active condition or blood group, and no blood group or emergency contact was given")
	}
	out, err := b.finish(ts)
	if err != nil {
		return nil, info, err
	}
	return out, info, nil
}

// --- extras ---------------------------------------------------------------

type cleanExtras struct {
	bloodGroup, name, phone, relationship string
}

func (e cleanExtras) hasContact() bool { return e.name != "" || e.phone != "" }

func checkExtras(x EmergencyExtras) (cleanExtras, error) {
	var e cleanExtras
	if s := strings.TrimSpace(x.BloodGroup); s != "" {
		g, ok := parseBloodGroup(s)
		if !ok {
			return e, errorf(ErrInvalidExtras, "the blood group %s is not one of A+, A-, B+, B-, AB+, AB-, O+, O-", quoteShort(s, 20, true))
		}
		e.bloodGroup = g
	}
	field := func(label, s string, limit int) (string, error) {
		s = strings.TrimSpace(s)
		if n := utf8.RuneCountInString(s); n > limit {
			return "", errorf(ErrInvalidExtras, "the emergency contact %s is %d characters long; at most %d are allowed", label, n, limit)
		}
		return cleanTitle(s), nil // control and invisible characters removed
	}
	var err error
	if e.name, err = field("name", x.ContactName, maxExtrasNameRunes); err != nil {
		return e, err
	}
	if e.phone, err = field("phone number", x.ContactPhone, maxExtrasPhoneRunes); err != nil {
		return e, err
	}
	if e.relationship, err = field("relationship", x.ContactRelationship, maxExtrasNameRunes); err != nil {
		return e, err
	}
	if e.phone != "" && !strings.ContainsAny(e.phone, "0123456789") {
		return e, errorf(ErrInvalidExtras, "the emergency contact phone number %s has no digits", quoteShort(e.phone, 40, true))
	}
	if e.relationship != "" && !e.hasContact() {
		return e, errorf(ErrInvalidExtras, "the emergency contact has a relationship (%s) but neither a name nor a phone number", quoteShort(e.relationship, 40, true))
	}
	return e, nil
}

// parseBloodGroup recognises an ABO/RhD blood group written by a person or
// found in a coding's text or display: "A+", "ab neg", "0 Rh+", "O
// negative", "Blood group A Rh(D) positive (finding)". It returns the group
// as "A+" ... "O-".
func parseBloodGroup(s string) (string, bool) {
	abo, rest, ok := cutABO(s)
	if !ok {
		return "", false
	}
	rh, ok := rhSign(rest, true)
	if !ok {
		return "", false
	}
	return abo + rh, true
}

// bloodGroupWords normalises blood group text: upper case, Unicode signs
// made ASCII, words that carry no information removed.
var bloodGroupWords = strings.NewReplacer(
	"−", "-", "–", "-", "‐", "-", "＋", "+", "﹢", "+",
	"(FINDING)", " ", "BLOOD GROUP", " ", "BLOOD TYPE", " ", "ABO", " ",
	"RH(D)", " ", "RHD", " ", "RH", " ", "GROUP", " ", "TYPE", " ", "FACTOR", " ",
	",", " ", ";", " ", ":", " ",
)

func normBloodText(s string) string {
	if len(s) > 200 {
		return ""
	}
	s = bloodGroupWords.Replace(strings.ToUpper(s))
	return strings.Join(strings.Fields(s), "")
}

// cutABO reads the ABO group at the start of blood group text and returns
// the rest (normalised).
func cutABO(s string) (abo, rest string, ok bool) {
	n := normBloodText(s)
	switch {
	case strings.HasPrefix(n, "AB"):
		return "AB", n[2:], true
	case strings.HasPrefix(n, "A"), strings.HasPrefix(n, "B"):
		return n[:1], n[1:], true
	case strings.HasPrefix(n, "O"), strings.HasPrefix(n, "0"):
		return "O", n[1:], true
	}
	return "", "", false
}

// rhSign reads an RhD sign from normalised text: "+", "POS", "POSITIVE" or
// "-", "NEG", "NEGATIVE", alone when exact is set.
func rhSign(n string, exact bool) (string, bool) {
	for _, c := range [...]struct{ word, sign string }{
		{"POSITIVE", "+"}, {"NEGATIVE", "-"}, {"POS", "+"}, {"NEG", "-"}, {"+", "+"}, {"-", "-"},
	} {
		if n == c.word || (!exact && strings.Contains(n, c.word)) {
			return c.sign, true
		}
	}
	return "", false
}

// --- collecting the records -----------------------------------------------

type emItem struct {
	typ, id string
	m       object
	raw     []byte    // the record's JSON: last tie-break and content hash
	date    time.Time // Summarize's date
	updated time.Time // meta.lastUpdated
	order   int       // position in records
}

var emergencyTypes = map[string]bool{
	"Patient": true, "AllergyIntolerance": true, "Condition": true,
	"MedicationRequest": true, "MedicationStatement": true, "Medication": true,
	"Observation": true,
}

// mayBeBloodGroup is a quick filter for Observations: false only when the
// JSON cannot contain any blood group LOINC code.
func mayBeBloodGroup(b []byte) bool {
	return bytes.Contains(b, []byte(`\u`)) || bytes.Contains(b, []byte(`"`+loincABORh+`"`)) ||
		bytes.Contains(b, []byte(`"`+loincABO+`"`)) || bytes.Contains(b, []byte(`"`+loincRh+`"`))
}

// collectEmergency decodes the records of the types the summary reads,
// de-duplicated by type and id, grouped by type in records order.
func collectEmergency(records []Resource) (map[string][]*emItem, error) {
	byType := make(map[string][]*emItem)
	seen := make(map[string]*emItem)
	for i, r := range records {
		typ := r.Type
		if typ != "" && !emergencyTypes[typ] {
			continue
		}
		if typ == "Observation" && !mayBeBloodGroup(r.JSON) {
			continue
		}
		m := decodeObject(r.JSON)
		if m == nil {
			if typ == "" {
				continue // not even known to be a resource the summary reads
			}
			return nil, errorf(ErrInvalidJSON, "record %d (%s %s) is not a readable JSON object", i+1, typ, quoteShort(r.ID, 64, true))
		}
		jt := str(m["resourceType"])
		if typ == "" {
			if typ = jt; !emergencyTypes[typ] || (typ == "Observation" && !mayBeBloodGroup(r.JSON)) {
				continue
			}
		} else if jt != typ {
			return nil, errorf(ErrNotFHIR, "record %d is labelled %s but its JSON has resourceType %s", i+1, typ, quoteShort(jt, maxQuotedName, true))
		}
		it := &emItem{typ: typ, id: str(m["id"]), m: m, raw: r.JSON, date: dateOf(m), order: i}
		it.updated, _ = ParseDate(str(path(m, "meta", "lastUpdated")))
		key := typ + "/" + it.id
		if it.id == "" {
			sum := sha256.Sum256(r.JSON)
			key = typ + "#" + string(sum[:])
		}
		if prev, dup := seen[key]; dup {
			if it.updated.After(prev.updated) {
				order := prev.order
				*prev = *it // keeps prev's place in byType
				prev.order = order
			}
			continue
		}
		seen[key] = it
		byType[typ] = append(byType[typ], it)
	}
	return byType, nil
}

func filterItems(items []*emItem, keep func(object) bool) []*emItem {
	var out []*emItem
	for _, it := range items {
		if keep(it.m) {
			out = append(out, it)
		}
	}
	return out
}

// compareItems orders a group: newest first (no date last), then by id,
// type and content, so the order does not depend on the records order.
func compareItems(a, b *emItem) int {
	if c := b.date.Compare(a.date); c != 0 {
		return c
	}
	return cmp.Or(strings.Compare(a.id, b.id), strings.Compare(a.typ, b.typ), bytes.Compare(a.raw, b.raw), cmp.Compare(a.order, b.order))
}

// --- selection rules ------------------------------------------------------

// statusCodes returns the codes of a status CodeableConcept's codings in
// system or without a system (or, for STU3-style content, the plain code).
func statusCodes(v any, system string) []string {
	if s := str(v); s != "" {
		return []string{s}
	}
	var out []string
	for _, c := range arr(obj(v)["coding"]) {
		co := obj(c)
		if sys := str(co["system"]); sys != "" && sys != system {
			continue
		}
		if code := str(co["code"]); code != "" {
			out = append(out, code)
		}
	}
	return out
}

func containsAny(have []string, want ...string) bool {
	for _, w := range want {
		if slices.Contains(have, w) {
			return true
		}
	}
	return false
}

func allergySelected(m object) bool {
	if containsAny(statusCodes(m["verificationStatus"], systemAllergyVerif), "refuted", "entered-in-error") {
		return false
	}
	c := statusCodes(m["clinicalStatus"], systemAllergyClinical)
	return len(c) == 0 || slices.Contains(c, "active")
}

func conditionSelected(m object) bool {
	if containsAny(statusCodes(m["verificationStatus"], systemCondVerif), "refuted", "entered-in-error") {
		return false
	}
	c := statusCodes(m["clinicalStatus"], systemCondClinical)
	return len(c) == 0 || containsAny(c, "active", "recurrence", "relapse")
}

func medicationSelected(m object) bool {
	switch str(m["resourceType"]) {
	case "MedicationRequest":
		if dnp, _ := m["doNotPerform"].(bool); dnp {
			return false
		}
		s := str(m["status"])
		return s == "active" || s == "on-hold"
	case "MedicationStatement":
		s := str(m["status"])
		return s == "active" || s == "intended"
	}
	return false
}

// referencedMedications returns the Medication resources that the selected
// requests and statements reference.
func referencedMedications(meds, medications []*emItem) []*emItem {
	if len(meds) == 0 || len(medications) == 0 {
		return nil
	}
	index := make(map[string]*emItem)
	for _, it := range medications {
		for _, k := range refKeys("Medication", it.id) {
			if _, dup := index[k]; !dup {
				index[k] = it
			}
		}
	}
	var out []*emItem
	done := make(map[*emItem]bool)
	for _, it := range meds {
		k := refTarget(str(obj(it.m["medicationReference"])["reference"]))
		if med := index[k]; k != "" && med != nil && !done[med] {
			done[med] = true
			out = append(out, med)
		}
	}
	return out
}

func bloodGroupStatusOK(m object) bool {
	switch str(m["status"]) {
	case "final", "amended", "corrected":
		return true
	}
	return false
}

// pickBloodGroup returns the blood group Observations to include: the
// newest 882-1, or the newest 883-9 and 10331-7 pair, whichever is newer.
func pickBloodGroup(obs []*emItem) []*emItem {
	var both, abo, rh *emItem
	newest := func(cur, it *emItem) *emItem {
		if cur == nil || compareItems(it, cur) < 0 {
			return it
		}
		return cur
	}
	for _, it := range obs {
		if !bloodGroupStatusOK(it.m) {
			continue
		}
		switch code := it.m["code"]; {
		case hasCode(code, systemLOINC, loincABORh):
			both = newest(both, it)
		case hasCode(code, systemLOINC, loincABO):
			abo = newest(abo, it)
		case hasCode(code, systemLOINC, loincRh):
			rh = newest(rh, it)
		}
	}
	pair := abo != nil && rh != nil
	switch {
	case both != nil && (!pair || !both.date.Before(minTime(abo.date, rh.date))):
		return []*emItem{both}
	case pair:
		return []*emItem{abo, rh}
	}
	return nil
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// bloodGroupOf describes the chosen blood group Observations: "A+" ... "O-"
// when recognised, else their values as text.
func bloodGroupOf(obs []*emItem) string {
	if len(obs) == 1 {
		m := obs[0].m
		if g := groupFromConcept(m["valueCodeableConcept"]); g != "" {
			return g
		}
		if g, ok := parseBloodGroup(str(m["valueString"])); ok {
			return g
		}
		// A panel-like 882-1 with ABO and Rh components.
		var abo, rh string
		for _, c := range arr(m["component"]) {
			co := obj(c)
			switch {
			case hasCode(co["code"], systemLOINC, loincABO):
				abo = aboFromValue(co)
			case hasCode(co["code"], systemLOINC, loincRh):
				rh = rhFromValue(co)
			}
		}
		if abo != "" && rh != "" {
			return abo + rh
		}
		return cleanTitle(firstOf(valueText(m), componentsText(m)))
	}
	aboObs, rhObs := obs[0].m, obs[1].m
	if !hasCode(aboObs["code"], systemLOINC, loincABO) {
		aboObs, rhObs = rhObs, aboObs
	}
	abo, rh := aboFromValue(aboObs), rhFromValue(rhObs)
	if abo != "" && rh != "" {
		return abo + rh
	}
	return cleanTitle(strings.TrimSpace(valueText(aboObs) + " " + valueText(rhObs)))
}

// conceptTexts returns a CodeableConcept's text and its codings' displays.
func conceptTexts(cc object) []string {
	out := []string{str(cc["text"])}
	for _, c := range arr(cc["coding"]) {
		out = append(out, str(obj(c)["display"]))
	}
	return out
}

// snomedCodes returns the codes of a CodeableConcept's SNOMED CT codings (or
// codings without a system).
func snomedCodes(v any) []string { return statusCodes(obj(v), systemSNOMED) }

func groupFromConcept(v any) string {
	cc := obj(v)
	if cc == nil {
		return ""
	}
	for _, code := range snomedCodes(cc) {
		for _, g := range bloodGroupCodes {
			if g.snomed == code {
				return g.group
			}
		}
	}
	for _, t := range conceptTexts(cc) {
		if g, ok := parseBloodGroup(t); ok {
			return g
		}
	}
	return ""
}

func aboFromValue(m object) string {
	cc := obj(m["valueCodeableConcept"])
	for _, code := range snomedCodes(cc) {
		if a, ok := aboCodes[code]; ok {
			return a
		}
	}
	if g := groupFromConcept(cc); g != "" {
		return strings.TrimRight(g, "+-")
	}
	for _, t := range append(conceptTexts(cc), str(m["valueString"])) {
		if abo, rest, ok := cutABO(t); ok && rest == "" {
			return abo
		}
	}
	return ""
}

func rhFromValue(m object) string {
	cc := obj(m["valueCodeableConcept"])
	for _, code := range snomedCodes(cc) {
		switch code {
		case snomedRhPositive:
			return "+"
		case snomedRhNegative:
			return "-"
		}
	}
	if g := groupFromConcept(cc); g != "" {
		return g[len(g)-1:]
	}
	for _, t := range append(conceptTexts(cc), str(m["valueString"])) {
		if s, ok := rhSign(normBloodText(t), false); ok {
			return s
		}
	}
	return ""
}

// choosePatient picks the Patient most referenced by the selected
// resources; ties go to the first in records.
func choosePatient(patients, selected []*emItem) *emItem {
	if len(patients) == 0 {
		return nil
	}
	counts := make(map[string]int)
	for _, it := range selected {
		walkRefs(it.m, func(o object) {
			if k := refTarget(str(o["reference"])); k != "" {
				counts[k]++
			}
		})
	}
	best, bestN := (*emItem)(nil), -1
	for _, p := range patients { // in records order
		n := 0
		for _, k := range refKeys("Patient", p.id) {
			n += counts[k]
		}
		if n > bestN || (n == bestN && p.order < best.order) {
			best, bestN = p, n
		}
	}
	return best
}

// --- the Patient ----------------------------------------------------------

// reducePatient keeps only what identifies the patient and whom to call.
func reducePatient(m object) object {
	out := object{"resourceType": "Patient"}
	if id := str(m["id"]); id != "" {
		out["id"] = id
	}
	var names []any
	for _, n := range arr(m["name"]) {
		if no := obj(n); no != nil {
			names = append(names, stripExtensions(no))
		}
	}
	if len(names) > 0 {
		out["name"] = names
	}
	for _, k := range [...]string{"gender", "birthDate"} {
		if s := str(m[k]); s != "" {
			out[k] = s
		}
	}
	var contacts []any
	for _, c := range arr(m["contact"]) {
		co := obj(c)
		// A modifier extension may change what the contact means: leave
		// such a contact out rather than show it without it.
		if co == nil || co["modifierExtension"] != nil || !isEmergencyContact(co) {
			continue
		}
		kept := object{}
		for _, k := range [...]string{"relationship", "name", "telecom"} {
			if v, keep := prune(stripExtensions(co[k])); keep {
				kept[k] = v
			}
		}
		if kept["name"] == nil && kept["telecom"] == nil {
			continue // nobody to call
		}
		contacts = append(contacts, kept)
	}
	if len(contacts) > 0 {
		out["contact"] = contacts
	}
	return out
}

// isEmergencyContact reports whether a Patient.contact has the HL7 v2-0131
// relationship "C" (Emergency Contact).
func isEmergencyContact(co object) bool {
	for _, r := range arr(co["relationship"]) {
		for _, c := range arr(obj(r)["coding"]) {
			cd := obj(c)
			switch str(cd["system"]) {
			case "", systemV2RelatedRole, "http://hl7.org/fhir/v2/0131":
				if str(cd["code"]) == "C" {
					return true
				}
			}
		}
	}
	return false
}

// stripExtensions copies a JSON value without extensions: "extension",
// "modifierExtension" and primitive extensions ("_given").
func stripExtensions(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(object, len(x))
		for k, e := range x {
			if k == "extension" || k == "modifierExtension" || strings.HasPrefix(k, "_") {
				continue
			}
			out[k] = stripExtensions(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = stripExtensions(e)
		}
		return out
	}
	return v
}

func addExtrasContact(pm object, ex cleanExtras) {
	contacts := arr(pm["contact"])
	digits := func(s string) string {
		return strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return r
			}
			return -1
		}, s)
	}
	for _, c := range contacts {
		co := obj(c)
		samePhone := ex.phone == ""
		for _, t := range arr(co["telecom"]) {
			if v := str(obj(t)["value"]); v != "" && digits(v) == digits(ex.phone) {
				samePhone = true
			}
		}
		if samePhone && strings.EqualFold(humanName(co["name"]), ex.name) {
			return // already there
		}
	}
	rel := object{"coding": []any{object{
		"system": systemV2RelatedRole, "code": "C", "display": "Emergency Contact",
	}}}
	if ex.relationship != "" {
		rel["text"] = ex.relationship
	}
	c := object{"relationship": []any{rel}}
	if ex.name != "" {
		c["name"] = object{"text": ex.name}
	}
	if ex.phone != "" {
		c["telecom"] = []any{object{"system": "phone", "value": ex.phone}}
	}
	pm["contact"] = append(contacts, c)
}

// bloodGroupObservation is the Observation for a blood group the patient
// entered.
func bloodGroupObservation(group, ts, patientURL string) object {
	var code, display string
	for _, g := range bloodGroupCodes {
		if g.group == group {
			code, display = g.snomed, g.display
		}
	}
	o := object{
		"resourceType": "Observation",
		"status":       "final",
		"code": object{
			"coding": []any{object{"system": systemLOINC, "code": loincABORh, "display": "ABO and Rh group [Type] in Blood"}},
			"text":   "Blood group",
		},
		"effectiveDateTime": ts,
		"valueCodeableConcept": object{
			"coding": []any{object{"system": systemSNOMED, "code": code, "display": display}},
			"text":   group,
		},
		"note": []any{object{"text": "Reported by the patient in their health wallet, not a laboratory result."}},
	}
	if patientURL != "" {
		o["subject"] = object{"reference": patientURL}
		o["performer"] = []any{object{"reference": patientURL}}
	}
	var w jsonWriter
	w.value(o)
	sum := sha256.Sum256(w.buf.Bytes())
	o["id"] = "blood-group-" + hex.EncodeToString(sum[:8])
	return o
}

// --- references -----------------------------------------------------------

// refKeys are the keys refTarget gives for references to Type/id.
func refKeys(typ, id string) []string {
	if id == "" {
		return nil
	}
	keys := []string{typ + "/" + id}
	if isUUID(id) {
		keys = append(keys, "urn:uuid:"+strings.ToLower(id))
	}
	return keys
}

// refTarget reduces a Reference.reference to "Type/id" or "urn:uuid:<uuid>"
// ("" for contained, conditional and unrecognised references). An absolute
// URL is reduced to its last two segments (after any /_history/version).
func refTarget(ref string) string {
	ref = strings.TrimSpace(ref)
	if len(ref) > 4096 || ref == "" || ref[0] == '#' || strings.ContainsAny(ref, "?#") {
		return ""
	}
	if u, ok := strings.CutPrefix(strings.ToLower(ref), "urn:uuid:"); ok {
		if isUUID(u) {
			return "urn:uuid:" + u
		}
		return ""
	}
	if i := strings.Index(ref, "/_history/"); i >= 0 {
		ref = ref[:i]
	}
	parts := strings.Split(ref, "/")
	if len(parts) < 2 {
		return ""
	}
	typ, id := parts[len(parts)-2], parts[len(parts)-1]
	if !IsResourceType(typ) || !isFHIRID(id) {
		return ""
	}
	return typ + "/" + id
}

// walkRefs calls fn for every object with a string "reference" member.
func walkRefs(v any, fn func(object)) {
	switch x := v.(type) {
	case map[string]any:
		if _, ok := x["reference"].(string); ok {
			fn(x)
		}
		for _, e := range x {
			walkRefs(e, fn)
		}
	case []any:
		for _, e := range x {
			walkRefs(e, fn)
		}
	}
}

// --- output ---------------------------------------------------------------

type summaryBuilder struct {
	entries int
	body    jsonWriter // the entries, comma-separated
	scratch jsonWriter
	used    map[string]bool   // fullUrls
	targets map[string]string // refTarget key -> fullUrl
}

func newSummaryBuilder() *summaryBuilder {
	return &summaryBuilder{used: make(map[string]bool), targets: make(map[string]string)}
}

// encodeDetached encodes a generated resource for hashing.
func (b *summaryBuilder) encodeDetached(m object) []byte {
	b.scratch.buf.Reset()
	b.scratch.value(m)
	return bytes.Clone(b.scratch.buf.Bytes())
}

// url returns a fullUrl not yet used in this Bundle: "urn:uuid:<id>" for a
// UUID id, else a version 8 UUID from SHA-256 of the type and id (or the
// content, without an id).
func (b *summaryBuilder) url(typ, id string, content []byte) string {
	if isUUID(id) {
		if u := "urn:uuid:" + strings.ToLower(id); !b.used[u] {
			b.used[u] = true
			return u
		}
	}
	for n := 0; ; n++ {
		h := sha256.New()
		h.Write([]byte("healthwallet emergency summary\x00" + typ + "\x00"))
		if id != "" {
			h.Write([]byte("id\x00" + id))
		} else {
			h.Write([]byte("content\x00"))
			h.Write(content)
		}
		if n > 0 {
			h.Write([]byte("\x00" + strconv.Itoa(n)))
		}
		var u [16]byte
		copy(u[:], h.Sum(nil))
		u[6] = u[6]&0x0f | 0x80 // version 8 (RFC 9562 custom, here SHA-256 name based)
		u[8] = u[8]&0x3f | 0x80 // RFC 9562 variant
		s := fmt.Sprintf("urn:uuid:%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
		if !b.used[s] {
			b.used[s] = true
			return s
		}
	}
}

func (b *summaryBuilder) addRefTarget(typ, id, url string) {
	for _, k := range refKeys(typ, id) {
		if _, dup := b.targets[k]; !dup {
			b.targets[k] = url
		}
	}
}

// rewriteRefs points references to resources in the summary at their
// fullUrl.
func (b *summaryBuilder) rewriteRefs(m object) {
	walkRefs(m, func(o object) {
		if k := refTarget(str(o["reference"])); k != "" {
			if u, ok := b.targets[k]; ok {
				o["reference"] = u
			}
		}
	})
}

func (b *summaryBuilder) addEntry(fullURL string, m object) error {
	pruned, keep := prune(m)
	if !keep {
		return nil
	}
	if b.entries > 0 {
		b.body.buf.WriteByte(',')
	}
	b.body.buf.WriteString(`{"fullUrl":`)
	b.body.str(fullURL)
	b.body.buf.WriteString(`,"resource":`)
	b.body.value(pruned)
	b.body.buf.WriteByte('}')
	b.entries++
	if b.body.buf.Len() > MaxEmergencySummarySize {
		return b.tooLarge()
	}
	return nil
}

func (b *summaryBuilder) tooLarge() error {
	return errorf(ErrLimit, "the emergency summary would be larger than the %s limit", byteSize(MaxEmergencySummarySize))
}

func (b *summaryBuilder) finish(ts string) ([]byte, error) {
	entries := b.body.buf.Bytes()
	sum := sha256.Sum256(entries)
	var out bytes.Buffer
	out.Grow(len(entries) + 128)
	out.WriteString(`{"resourceType":"Bundle","id":"` + hex.EncodeToString(sum[:8]) +
		`","type":"collection","timestamp":"` + ts + `","entry":[`)
	out.Write(entries)
	out.WriteString("]}")
	if out.Len() > MaxEmergencySummarySize {
		return nil, b.tooLarge()
	}
	return out.Bytes(), nil
}

// prune removes what FHIR JSON may not contain: empty or whitespace-only
// strings, empty objects and arrays, and null members. In an array that has
// a primitive-extension sibling ("given" and "_given") a removed element
// becomes null so that the two stay aligned. It reports whether anything is
// left of v.
func prune(v any) (any, bool) {
	switch x := v.(type) {
	case nil:
		return nil, false
	case string:
		return x, strings.TrimSpace(x) != ""
	case map[string]any:
		for k, e := range x {
			var pe any
			var keep bool
			if a, ok := e.([]any); ok {
				aligned := x["_"+k] != nil || (strings.HasPrefix(k, "_") && x[k[1:]] != nil)
				pe, keep = pruneArray(a, aligned)
			} else {
				pe, keep = prune(e)
			}
			if keep {
				x[k] = pe
			} else {
				delete(x, k)
			}
		}
		return x, len(x) > 0
	case []any:
		return pruneArray(x, false)
	}
	return v, true // numbers and booleans
}

func pruneArray(a []any, aligned bool) (any, bool) {
	out := a[:0]
	nonNull := false
	for _, e := range a {
		if pe, keep := prune(e); keep {
			out = append(out, pe)
			nonNull = true
		} else if aligned {
			out = append(out, nil)
		}
	}
	return out, nonNull
}

// jsonWriter writes decoded JSON deterministically: object keys sorted by
// their UTF-8 bytes, except that "resourceType" and "id" come first in a
// resource; numbers keep their literal text; strings are escaped as
// encoding/json does, without HTML escaping.
type jsonWriter struct {
	buf bytes.Buffer
	tmp bytes.Buffer
	enc *json.Encoder
}

func (w *jsonWriter) str(s string) {
	if w.enc == nil {
		w.enc = json.NewEncoder(&w.tmp)
		w.enc.SetEscapeHTML(false)
	}
	w.tmp.Reset()
	_ = w.enc.Encode(s) // a string always encodes
	w.buf.Write(bytes.TrimSuffix(w.tmp.Bytes(), []byte{'\n'}))
}

func (w *jsonWriter) value(v any) {
	switch x := v.(type) {
	case nil:
		w.buf.WriteString("null")
	case bool:
		w.buf.WriteString(strconv.FormatBool(x))
	case json.Number:
		w.buf.WriteString(string(x))
	case string:
		w.str(x)
	case []any:
		w.buf.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				w.buf.WriteByte(',')
			}
			w.value(e)
		}
		w.buf.WriteByte(']')
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		_, isResource := x["resourceType"].(string)
		slices.SortFunc(keys, func(a, b string) int {
			if isResource {
				if c := cmp.Compare(keyRank(a), keyRank(b)); c != 0 {
					return c
				}
			}
			return strings.Compare(a, b)
		})
		w.buf.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				w.buf.WriteByte(',')
			}
			w.str(k)
			w.buf.WriteByte(':')
			w.value(x[k])
		}
		w.buf.WriteByte('}')
	default: // not produced by decodeObject; encode as encoding/json would
		b, err := json.Marshal(x)
		if err != nil {
			b = []byte("null")
		}
		w.buf.Write(b)
	}
}

func keyRank(k string) int {
	switch k {
	case "resourceType":
		return 0
	case "id":
		return 1
	}
	return 2
}

// Contents says in words what went into the summary, one phrase per part
// ("2 allergies", "blood group O+", "no emergency contact", ...), for the
// patient to check before authorising it.
func (i EmergencySummaryInfo) Contents() []string {
	count := func(n int, one, many string) string {
		if n == 1 {
			return "1 " + one
		}
		return fmt.Sprintf("%d %s", n, many)
	}
	parts := []string{
		count(i.Allergies, "allergy", "allergies"),
		count(i.Medications, "medication", "medications"),
		count(i.Conditions, "condition", "conditions"),
	}
	if i.BloodGroup != "" {
		parts = append(parts, "blood group "+i.BloodGroup)
	} else {
		parts = append(parts, "no blood group")
	}
	if i.Contact {
		parts = append(parts, "an emergency contact")
	} else {
		parts = append(parts, "no emergency contact")
	}
	if i.Patient {
		parts = append(parts, "your name and details")
	}
	return parts
}
