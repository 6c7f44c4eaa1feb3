package keystore

// Bounds on what a keystore file may ask for. Unseal checks them before it
// runs Argon2id or allocates anything sized by the file, so a damaged or
// hostile file cannot demand gigabytes of memory or hours of work: the worst
// a file within bounds can cost is MaxMemoryKiB of memory for MaxTime passes
// (a few seconds to tens of seconds on a slow machine). Seal refuses
// parameters outside the same bounds, so every file this package writes can
// be read back.
const (
	// MinTime and MaxTime bound Params.Time, the number of Argon2id passes.
	MinTime = 1
	MaxTime = 20

	// MinMemoryKiB and MaxMemoryKiB bound Params.MemoryKiB. The minimum
	// admits TestParams; Argon2id itself also needs 8 KiB per thread, which
	// Params.Validate checks.
	MinMemoryKiB = 64
	MaxMemoryKiB = 512 * 1024 // 512 MiB

	// MinThreads and MaxThreads bound Params.Threads.
	MinThreads = 1
	MaxThreads = 16

	// MaxSecretSize bounds the root secret a keystore holds (the wallet's is
	// 32 bytes).
	MaxSecretSize = 1024

	// maxPayloadSize bounds the encrypted payload (the secret plus record
	// framing, with room for later record kinds).
	maxPayloadSize = 16 * 1024

	// maxFileSize bounds the size of a keystore file.
	maxFileSize = headerSize + maxPayloadSize + tagSize + checksumSize
)
