package demonet

import (
	"crypto/ed25519"
	"crypto/sha256"

	"github.com/healthwallet/healthwallet/chain"
)

func ed25519Key(name string) ed25519.PrivateKey {
	seed := sha256.Sum256([]byte(name))
	return ed25519.NewKeyFromSeed(seed[:])
}

func demoCID() chain.CID {
	d := sha256.Sum256([]byte("demo record"))
	c, err := chain.CIDFromBytes(append([]byte{0x01, 0x55, 0x12, 0x20}, d[:]...))
	if err != nil {
		panic(err)
	}
	return c
}
