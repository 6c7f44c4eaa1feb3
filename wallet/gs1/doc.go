// Package gs1 parses the GS1 element string a DataMatrix scanner types for a
// medicine pack into a Pack: GTIN (AI 01), serial (21), lot (10) and expiry
// (17), with the GTIN check digit validated and the expiry resolved to a date.
//
// It accepts the three forms scanners and phones produce: the human-readable
// form with bracketed AIs, the raw form with FNC1/GS separators as a scanner
// in keyboard mode types it, and a GS1 Digital Link URI.
//
// It owns the syntax only. Whether a pack is genuine, recalled or dispensed is
// decided against the chain by the callers; this package imports no other
// Health Wallet package and does no I/O.
package gs1
