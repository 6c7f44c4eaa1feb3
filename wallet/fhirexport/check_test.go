package fhirexport

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"

	r4 "github.com/samply/golang-fhir-models/fhir-models/fhir"
)

// This file is an R4 structural checker for what the builders emit, kept
// independent of the builders' own types: it decodes into the R4 structs
// generated from the FHIR specification (github.com/samply/golang-fhir-models)
// with unknown fields refused, which catches misnamed or misplaced elements
// and out-of-range required codes, and walks the raw JSON for what those
// structs cannot say: required elements and cardinalities, FHIR primitive
// formats, no empty or null values, no duplicate keys, and every Coding with
// system and code.

// Primitive formats from the R4 specification (datatypes.html), anchored.
var (
	reInstant      = regexp.MustCompile(`^([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)-(0[1-9]|1[0-2])-(0[1-9]|[1-2][0-9]|3[0-1])T([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?(Z|(\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00))$`)
	reDateTime     = regexp.MustCompile(`^([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)(-(0[1-9]|1[0-2])(-(0[1-9]|[1-2][0-9]|3[0-1])(T([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?(Z|(\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00)))?)?)?$`)
	reID           = regexp.MustCompile(`^[A-Za-z0-9\-.]{1,64}$`)
	reCode         = regexp.MustCompile(`^\S+$`) // stricter than R4, which allows single inner spaces
	reURI          = regexp.MustCompile(`^\S+$`)
	reUUIDURN      = regexp.MustCompile(`^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	reResourceType = regexp.MustCompile(`^[A-Z][A-Za-z]+$`)
)

// object is a decoded JSON object that remembers its key order.
type object struct {
	keys []string
	vals map[string]any
}

func (o *object) has(k string) bool { _, ok := o.vals[k]; return ok }

func (o *object) obj(k string) *object { v, _ := o.vals[k].(*object); return v }

func (o *object) arr(k string) []any { v, _ := o.vals[k].([]any); return v }

func (o *object) str(k string) string { v, _ := o.vals[k].(string); return v }

// asObject is v as an object, or nil (which need reports as missing).
func asObject(v any) *object { o, _ := v.(*object); return o }

// parseJSON decodes data into *object, []any, string, json.Number, bool and
// nil, failing on duplicate keys (R4 JSON forbids them, and encoding/json
// would silently keep the last) or trailing data.
func parseJSON(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := parseValue(dec)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("trailing data after the JSON value")
	}
	return v, nil
}

func parseValue(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch tok {
	case json.Delim('{'):
		o := &object{vals: map[string]any{}}
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return nil, err
			}
			k := kt.(string)
			if o.has(k) {
				return nil, fmt.Errorf("duplicate key %q", k)
			}
			v, err := parseValue(dec)
			if err != nil {
				return nil, err
			}
			o.keys = append(o.keys, k)
			o.vals[k] = v
		}
		_, err := dec.Token()
		return o, err
	case json.Delim('['):
		a := []any{}
		for dec.More() {
			v, err := parseValue(dec)
			if err != nil {
				return nil, err
			}
			a = append(a, v)
		}
		_, err := dec.Token()
		return a, err
	}
	return tok, nil
}

// checker collects problems, each with the JSON path it was found at.
type checker struct{ problems []string }

func (c *checker) fail(path, format string, args ...any) {
	c.problems = append(c.problems, path+": "+fmt.Sprintf(format, args...))
}

// checkResource returns every structural problem found in one resource's
// JSON; none means it is valid as far as this checker can tell.
func checkResource(data []byte) []string {
	var c checker
	c.resource("$", data)
	return c.problems
}

func (c *checker) resource(path string, data []byte) {
	v, err := parseJSON(data)
	if err != nil {
		c.fail(path, "not JSON: %v", err)
		return
	}
	o, ok := v.(*object)
	if !ok {
		c.fail(path, "not a JSON object")
		return
	}
	if len(o.keys) == 0 || o.keys[0] != "resourceType" {
		// Not required by R4 JSON, but every FHIR tool writes it first and
		// the builders promise to.
		c.fail(path, "resourceType is not the first key")
	}
	c.walk(path, "", v)
	typ := o.str("resourceType")
	if !reID.MatchString(o.str("id")) {
		c.fail(path+".id", "missing or not a valid id")
	}
	switch typ {
	case "AuditEvent":
		var r struct {
			ResourceType string `json:"resourceType"`
			r4.AuditEvent
		}
		if c.decode(path, data, &r) {
			c.auditEvent(path, o, &r.AuditEvent)
		}
	case "Consent":
		var r struct {
			ResourceType string `json:"resourceType"`
			r4.Consent
		}
		if c.decode(path, data, &r) {
			c.consent(path, o, &r.Consent)
		}
	case "Provenance":
		var r struct {
			ResourceType string `json:"resourceType"`
			r4.Provenance
		}
		if c.decode(path, data, &r) {
			c.provenance(path, o, &r.Provenance)
		}
	case "Bundle":
		var r struct {
			ResourceType string `json:"resourceType"`
			r4.Bundle
		}
		if c.decode(path, data, &r) {
			c.bundle(path, o, &r.Bundle)
		}
	default:
		c.fail(path+".resourceType", "%q is not a resource type the builders emit", typ)
	}
}

// decode decodes data into the R4 struct v, refusing unknown fields.
func (c *checker) decode(path string, data []byte, v any) bool {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		c.fail(path, "does not decode as R4: %v", err)
		return false
	}
	return true
}

// walk applies the rules that hold everywhere in a resource. key is the
// element name v was found under.
func (c *checker) walk(path, key string, v any) {
	switch v := v.(type) {
	case nil:
		c.fail(path, "null")
	case string:
		if v == "" {
			c.fail(path, "empty string")
		} else if strings.TrimSpace(v) != v {
			c.fail(path, "leading or trailing white space in %q", v)
		}
		c.primitive(path, key, v)
	case []any:
		if len(v) == 0 {
			c.fail(path, "empty array")
		}
		for i, e := range v {
			c.walk(fmt.Sprintf("%s[%d]", path, i), key, e)
		}
	case *object:
		if len(v.keys) == 0 {
			c.fail(path, "empty object")
		}
		// A Coding is the only datatype here with code; an Identifier has
		// system and value instead.
		if v.has("code") || (v.has("system") && !v.has("value")) {
			if v.str("system") == "" || v.str("code") == "" {
				c.fail(path, "Coding without system and code")
			}
		}
		if key == "coding" && !v.has("code") {
			c.fail(path, "Coding without code")
		}
		for _, k := range v.keys {
			if k == "resource" {
				continue // a Bundle entry's resource: checked whole by c.bundle
			}
			c.walk(path+"."+k, k, v.vals[k])
		}
	case json.Number:
		c.fail(path, "number %s: the builders write none", v)
	}
}

// primitive checks a string against the format of the element it is in.
func (c *checker) primitive(path, key, v string) {
	var re *regexp.Regexp
	switch key {
	case "recorded", "when", "lastUpdated":
		re = reInstant
	case "dateTime", "start", "end":
		re = reDateTime
	case "id":
		re = reID
	case "code", "status", "action", "outcome", "meaning", "sigFormat", "role", "type":
		// Also Reference.type (a uri) and AuditEvent detail type (a string):
		// neither may hold white space either.
		re = reCode
	case "system", "source":
		re = reURI
	case "fullUrl":
		re = reUUIDURN
	case "resourceType":
		re = reResourceType
	case "data":
		if _, err := base64.StdEncoding.DecodeString(v); err != nil {
			c.fail(path, "not base64: %v", err)
		}
		return
	default:
		return
	}
	if !re.MatchString(v) {
		c.fail(path, "%q is not a valid %s", v, key)
	}
}

// need reports a missing required element.
func (c *checker) need(path string, o *object, keys ...string) {
	for _, k := range keys {
		if o == nil || !o.has(k) {
			c.fail(path, "required element %s missing", k)
		}
	}
}

func (c *checker) auditEvent(path string, o *object, r *r4.AuditEvent) {
	c.need(path, o, "type", "recorded", "agent", "source") // 1..1, 1..1, 1..*, 1..1
	if r.Type.System == nil || r.Type.Code == nil {
		c.fail(path+".type", "needs system and code")
	}
	requestors := 0
	for i, a := range o.arr("agent") {
		p := fmt.Sprintf("%s.agent[%d]", path, i)
		c.need(p, asObject(a), "requestor") // 1..1
		if i < len(r.Agent) && r.Agent[i].Requestor {
			requestors++
		}
		if i < len(r.Agent) && r.Agent[i].Who == nil {
			c.fail(p, "no who")
		}
	}
	if requestors != 1 {
		c.fail(path+".agent", "%d requestors, want exactly the actor", requestors)
	}
	src := o.obj("source")
	c.need(path+".source", src, "observer") // 1..1
	obs := r.Source.Observer
	if obs.Identifier == nil && obs.Reference == nil && obs.Display == nil {
		c.fail(path+".source.observer", "identifies nothing")
	}
	if r.Action == nil {
		c.fail(path, "no action")
	}
	if r.Outcome == nil {
		c.fail(path, "no outcome")
	}
	for i, e := range o.arr("entity") {
		eo := asObject(e)
		if eo != nil && eo.has("name") && eo.has("query") {
			c.fail(fmt.Sprintf("%s.entity[%d]", path, i), "sev-1: name and query both present")
		}
		if eo != nil {
			for j, d := range eo.arr("detail") {
				c.need(fmt.Sprintf("%s.entity[%d].detail[%d]", path, i, j), asObject(d), "type", "valueString")
			}
		}
	}
}

func (c *checker) consent(path string, o *object, r *r4.Consent) {
	c.need(path, o, "status", "scope", "category") // 1..1, 1..1, 1..*
	if len(r.Scope.Coding) == 0 {
		c.fail(path+".scope", "no coding")
	}
	for i, cat := range r.Category {
		if len(cat.Coding) == 0 && cat.Text == nil {
			c.fail(fmt.Sprintf("%s.category[%d]", path, i), "empty concept")
		}
	}
	// ppc-1: either a policy or a policyRule.
	if len(r.Policy) == 0 && r.PolicyRule == nil {
		c.fail(path, "ppc-1: neither policy nor policyRule")
	}
	// ppc-2: a patient-privacy consent has a patient.
	if slices.ContainsFunc(r.Scope.Coding, func(cd r4.Coding) bool { return cd.Code != nil && *cd.Code == "patient-privacy" }) && r.Patient == nil {
		c.fail(path, "ppc-2: patient-privacy without a patient")
	}
	if r.Provision == nil {
		c.fail(path, "no provision")
		return
	}
	c.provision(path+".provision", o.obj("provision"), true)
}

func (c *checker) provision(path string, o *object, root bool) {
	if o == nil {
		return
	}
	// R4 provision.type: "Not permitted in root rule, required in all nested rules".
	if root && o.has("type") {
		c.fail(path, "type in the root rule")
	}
	if !root && !o.has("type") {
		c.fail(path, "nested rule without type")
	}
	for i, a := range o.arr("actor") {
		c.need(fmt.Sprintf("%s.actor[%d]", path, i), asObject(a), "role", "reference")
	}
	for i, d := range o.arr("data") {
		c.need(fmt.Sprintf("%s.data[%d]", path, i), asObject(d), "meaning", "reference")
	}
	for i, p := range o.arr("provision") {
		c.provision(fmt.Sprintf("%s.provision[%d]", path, i), asObject(p), false)
	}
}

func (c *checker) provenance(path string, o *object, r *r4.Provenance) {
	c.need(path, o, "target", "recorded", "agent") // 1..*, 1..1, 1..*
	for i, a := range o.arr("agent") {
		c.need(fmt.Sprintf("%s.agent[%d]", path, i), asObject(a), "who") // 1..1
	}
	for i, e := range o.arr("entity") {
		c.need(fmt.Sprintf("%s.entity[%d]", path, i), asObject(e), "role", "what")
	}
	for i, s := range o.arr("signature") {
		p := fmt.Sprintf("%s.signature[%d]", path, i)
		c.need(p, asObject(s), "type", "when", "who")
		if i < len(r.Signature) && r.Signature[i].Data != nil {
			if b, err := base64.StdEncoding.DecodeString(*r.Signature[i].Data); err == nil && len(b) != 64 {
				c.fail(p+".data", "%d bytes, want a 64-byte Ed25519 signature", len(b))
			}
		}
	}
}

func (c *checker) bundle(path string, o *object, r *r4.Bundle) {
	c.need(path, o, "type")
	if r.Type.Code() != "collection" {
		c.fail(path+".type", "%q, want collection", r.Type.Code())
	}
	if r.Total != nil || r.Timestamp != nil {
		c.fail(path, "bdl-1 or determinism: total or timestamp present")
	}
	urls := map[string]bool{}
	for i, e := range r.Entry {
		p := fmt.Sprintf("%s.entry[%d]", path, i)
		if e.Search != nil || e.Request != nil || e.Response != nil {
			c.fail(p, "bdl-2/3/4: search, request or response in a collection")
		}
		if e.FullUrl == nil {
			c.fail(p, "no fullUrl")
		} else if urls[*e.FullUrl] {
			c.fail(p, "bdl-7: fullUrl %s repeated", *e.FullUrl)
		} else {
			urls[*e.FullUrl] = true
		}
		if len(e.Resource) == 0 {
			c.fail(p, "bdl-5: no resource")
			continue
		}
		c.resource(p+".resource", e.Resource)
	}
}

// errChecker turns problems into one error for t.Fatal-style reporting.
func errChecker(problems []string) error {
	if len(problems) == 0 {
		return nil
	}
	return errors.New(strings.Join(problems, "\n"))
}
