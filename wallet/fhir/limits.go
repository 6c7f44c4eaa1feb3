package fhir

// Limits applied to untrusted input. Exceeding one is reported as an error
// wrapping ErrLimit; nothing is truncated silently (except titles, which are
// display text).
const (
	// MaxFileSize is the largest file Parse accepts. It is generous because an
	// exported Bundle carries attachments inline (base64).
	MaxFileSize = 4 << 30 // 4 GiB

	// MaxLineLength is the longest NDJSON line (one resource) Parse accepts.
	MaxLineLength = 64 << 20 // 64 MiB

	// MaxDepth is the deepest JSON nesting (objects and arrays) accepted in a
	// file, a resource, or by Canonical. Real FHIR resources stay well below
	// 30 levels; a Bundle adds 3.
	MaxDepth = 100

	// MaxAttachmentSize is the largest attachment AttachmentDocument embeds.
	// FHIR's Attachment.size is an unsignedInt, and the base64 form has to fit
	// in memory next to the rest of an export.
	MaxAttachmentSize = 1 << 30 // 1 GiB

	// MaxTitleRunes is the longest Summary.Title, in runes; longer titles are
	// cut and end in "…".
	MaxTitleRunes = 200

	// maxQuotedName bounds how much of an unknown resourceType is quoted back
	// in an error message.
	maxQuotedName = 64
)
