package ipfs

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/libp2p/go-libp2p/core/pnet"
)

// ErrBadSwarmKey is returned for a swarm key file that is not in kubo's
// swarm.key format.
var ErrBadSwarmKey = errors.New("not a swarm key (expected kubo's swarm.key format)")

const swarmKeyHeader = "/key/swarm/psk/1.0.0/\n/base16/\n"

// GenerateSwarmKey makes a new consortium key in kubo's swarm.key format, so
// the same file configures our nodes and standard IPFS peers.
func GenerateSwarmKey() ([]byte, error) {
	var k [32]byte
	if _, err := rand.Read(k[:]); err != nil {
		return nil, err
	}
	return []byte(swarmKeyHeader + hex.EncodeToString(k[:]) + "\n"), nil
}

// ParseSwarmKey reads a swarm.key file.
func ParseSwarmKey(b []byte) (pnet.PSK, error) {
	if len(b) > 4096 {
		return nil, fmt.Errorf("%w: %d bytes", ErrBadSwarmKey, len(b))
	}
	psk, err := pnet.DecodeV1PSK(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadSwarmKey, err)
	}
	if len(psk) != 32 {
		return nil, fmt.Errorf("%w: key is %d bytes, want 32", ErrBadSwarmKey, len(psk))
	}
	return psk, nil
}
