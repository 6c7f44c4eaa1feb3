package ipfs

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/libp2p/go-libp2p/core/crypto"

	"github.com/healthwallet/healthwallet/internal/atomicfile"
)

const deviceKeyFile = "device.key"

// loadDeviceKey returns this installation's libp2p identity, creating it on
// first use. It is a key of its own, never the patient's signing key: the
// network sees a device, not a person.
func loadDeviceKey(dir string) (crypto.PrivKey, error) {
	path := filepath.Join(dir, deviceKeyFile)
	b, err := os.ReadFile(path)
	if err == nil {
		k, err := crypto.UnmarshalPrivateKey(b)
		if err != nil {
			return nil, fmt.Errorf("device key %s is damaged: %w", path, err)
		}
		return k, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read device key: %w", err)
	}
	k, _, err := crypto.GenerateEd25519Key(nil)
	if err != nil {
		return nil, err
	}
	b, err = crypto.MarshalPrivateKey(k)
	if err != nil {
		return nil, err
	}
	if err := atomicfile.WriteFile(path, b, 0o600); err != nil {
		return nil, fmt.Errorf("save device key: %w", err)
	}
	return k, nil
}
