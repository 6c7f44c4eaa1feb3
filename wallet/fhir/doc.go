// Package fhir reads and writes the FHIR R4 (4.0.1) JSON shapes that Health
// Wallet imports and exports, and describes resources for the record catalog.
//
// It owns:
//
//   - Parse: turning an import file into resources. A file is a single
//     resource, a Bundle of any type (each entry.resource becomes one
//     resource), or bulk-export NDJSON (one resource per line). A file is
//     validated completely before anything is returned, so an import is
//     all-or-nothing. Errors are *ParseError values that name the file and the
//     entry ("line 12", "entry 3") and wrap one of the Err* sentinels.
//   - IsResourceType and CategoryOf: the embedded list of R4 resource types and
//     the coarse catalog categories (stable strings, also used on the chain).
//   - Canonical: a key-order and whitespace independent form of a resource for
//     de-duplication (numbers keep their literal text).
//   - Summarize: a human title, the clinically meaningful date and a category
//     for a resource, so the catalog does not need to decrypt it again.
//   - BundleWriter: streaming a "collection" Bundle for export.
//   - Attachments: DetectAttachment recognises PDFs and images by magic bytes;
//     AttachmentDocument / ParseAttachmentDocument map an attachment record to
//     and from a tagged DocumentReference so exports round-trip.
//
// It does not encrypt, store, index or sign anything, does not resolve
// references between resources, and does not validate resources against the
// FHIR profiles or terminologies: beyond well-formed JSON, a known
// resourceType and a string id, resource content is passed through untouched
// (Resource.JSON is the original bytes, compacted). It never does I/O other
// than writing to the io.Writer given to NewBundleWriter.
//
// Everything here treats its input as untrusted: no input panics, and the
// limits in limits.go bound file size, NDJSON line length and JSON nesting.
package fhir
