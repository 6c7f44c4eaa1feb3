package rx

import "errors"

// Reasons a prescription is refused, for callers to branch on with
// errors.Is. A Verdict lists them most serious first, in the order below.
var (
	// ErrMalformed: the handover text or the prescription in it does not
	// decode, or its signed parts contradict each other.
	ErrMalformed = errors.New("rx: malformed prescription")
	// ErrAltered: the signature does not verify over the content, or the
	// chain's dispenses or expiry differ from the signed ones.
	ErrAltered = errors.New("rx: prescription altered")
	// ErrForged: the signature is valid, but its signer never held a
	// prescriber credential from an admitted authority.
	ErrForged = errors.New("rx: forged prescription")
	// ErrPrescriberInvalid: the prescriber's credential was revoked,
	// suspended, expired, not yet valid, or its issuer no longer admitted at
	// the time of writing (the block time of the commitment).
	ErrPrescriberInvalid = errors.New("rx: prescriber's licence not valid at writing time")
	// ErrUnknown: no commitment of this prescription is on the chain.
	ErrUnknown = errors.New("rx: prescription unknown to the ledger")
	// ErrExpired: the prescription's last day has passed.
	ErrExpired = errors.New("rx: prescription expired")
	// ErrAlreadyDispensed: every allowed dispense is recorded.
	ErrAlreadyDispensed = errors.New("rx: prescription already dispensed")
)

// ErrInvalidOrder is wrapped by the errors of Order.Check and Write: the
// prescriber's input is incomplete or out of bounds.
var ErrInvalidOrder = errors.New("rx: invalid order")

// severity lists the reasons most serious first.
var severity = []error{ErrMalformed, ErrAltered, ErrForged, ErrPrescriberInvalid, ErrUnknown, ErrExpired, ErrAlreadyDispensed}
