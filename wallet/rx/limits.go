package rx

import "github.com/healthwallet/healthwallet/chain"

// Bounds on a prescription's fields, in bytes of UTF-8. They are part of the
// version 1 format (Decode refuses anything outside them) and are chosen so
// that the largest prescription they allow still fits one QR code at medium
// error correction (TestLargestFitsQR).
const (
	// MaxCodeLen bounds a medication code (an RxNorm RXCUI is at most 7
	// digits; local formularies use short codes too).
	MaxCodeLen = 64
	// MaxSystemLen bounds a code system URI.
	MaxSystemLen = 128
	// MaxDisplayLen bounds a medication's display name.
	MaxDisplayLen = 160
	// MaxDosageLen bounds the dosage instruction.
	MaxDosageLen = 240
	// MaxUnitLen bounds the quantity's unit.
	MaxUnitLen = 32
	// MaxNoteLen bounds the note to the pharmacist, like an access request's
	// note on chain.
	MaxNoteLen = chain.MaxNoteLen
	// MaxNameLen bounds the prescriber's display name.
	MaxNameLen = 96

	// MaxQuantity bounds the quantity per dispense.
	MaxQuantity = 1e6
	// MaxRefills is the most refills: the chain allows MaxDispenses
	// dispenses, the first one and the refills.
	MaxRefills = chain.MaxDispenses - 1

	// MaxTextLen bounds a handover text (QR codes hold under 3 KB, files are
	// the same text).
	MaxTextLen = 8 << 10
	// MaxInflatedLen bounds the decompressed handover JSON: Decode stops
	// inflating there, so a small text cannot make it allocate much.
	MaxInflatedLen = 16 << 10
)

// maxUnix bounds every time: the last second of year 9999, the largest that
// RFC 3339 (and FHIR dateTime) can write, and far below 2^53, so the
// canonical JSON numbers are exact.
const maxUnix = 253402300799
