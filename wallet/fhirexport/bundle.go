package fhirexport

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
)

type bundle struct {
	ResourceType string        `json:"resourceType"`
	ID           string        `json:"id"`
	Type         string        `json:"type"`
	Entry        []bundleEntry `json:"entry,omitempty"`
}

type bundleEntry struct {
	FullURL  string          `json:"fullUrl"`
	Resource json.RawMessage `json:"resource"`
}

// uuidNamespace separates this package's name-based UUIDs from anyone
// else's hashing of the same "Type/id" text.
const uuidNamespace = "github.com/healthwallet/healthwallet/wallet/fhirexport\x00"

// Bundle wraps resources (each one JSON object with a resourceType and a
// valid id, e.g. from AuditEvent, Consent or Provenance) in a FHIR R4 Bundle
// of type "collection". No resources give a Bundle without entries.
func Bundle(resources ...[]byte) ([]byte, error) {
	b := bundle{ResourceType: "Bundle", Type: "collection"}
	seen := make(map[string]int, len(resources))
	idHash := sha256.New()
	idHash.Write([]byte(uuidNamespace + "Bundle\x00"))
	for i, r := range resources {
		typ, id, err := resourceKey(r)
		if err != nil {
			return nil, fmt.Errorf("fhirexport: bundle resource %d: %w", i, err)
		}
		name := typ + "/" + id
		if j, dup := seen[name]; dup {
			return nil, fmt.Errorf("fhirexport: bundle resource %d: %s is also resource %d: %w", i, name, j, ErrInvalid)
		}
		seen[name] = i
		url := "urn:uuid:" + nameUUID(name)
		idHash.Write([]byte(url + "\n"))
		b.Entry = append(b.Entry, bundleEntry{FullURL: url, Resource: r})
	}
	b.ID = hex.EncodeToString(idHash.Sum(nil))
	return encode(b)
}

// resourceKey checks that r is one JSON object naming its resourceType and
// a valid id, and returns them.
func resourceKey(r []byte) (typ, id string, err error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(r, &m); err != nil {
		return "", "", invalidf("not a JSON object: %v", err)
	}
	if m == nil {
		return "", "", invalidf("not a JSON object: null")
	}
	// Exact keys: decoding into a struct would match keys case-insensitively.
	if err := json.Unmarshal(m["resourceType"], &typ); err != nil || !resourceTypePattern.MatchString(typ) {
		return "", "", invalidf("no valid resourceType")
	}
	if err := json.Unmarshal(m["id"], &id); err != nil || !idPattern.MatchString(id) {
		return "", "", invalidf("%s has no valid id", typ)
	}
	return typ, id, nil
}

// nameUUID is a name-based UUID of the RFC 9562 version 8 form, from
// SHA-256 (RFC 9562 gives SHA-256 hashing as the example use of version 8;
// version 5 would mean SHA-1).
func nameUUID(name string) string {
	sum := sha256.Sum256([]byte(uuidNamespace + name))
	u := sum[:16]
	u[6] = u[6]&0x0f | 0x80 // version 8
	u[8] = u[8]&0x3f | 0x80 // RFC 9562 variant
	h := hex.EncodeToString(u)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}
