package gs1

const (
	// MaxInput bounds what Parse reads: a full pharmaceutical DataMatrix
	// carries well under 100 characters, a Digital Link under 300.
	MaxInput = 512

	// maxLotLen and maxSerialLen are the GS1 maximum lengths of AI 10 and 21.
	maxLotLen    = 20
	maxSerialLen = 20

	// DefaultHost is the GS1 resolver used by DigitalLink when no host is given.
	DefaultHost = "id.gs1.org"
)
