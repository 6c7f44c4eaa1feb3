//go:build pindeps

// Package deps pins modules that later work builds on, so `go mod tidy` keeps
// them at the versions measured to build together. Remove an import here once
// real code imports it.
package deps

import (
	_ "fyne.io/fyne/v2/app"
	_ "fyne.io/fyne/v2/test"
	_ "fyne.io/fyne/v2/widget"
	_ "github.com/adrg/xdg"
	_ "github.com/gofrs/flock"
	_ "github.com/gowebpki/jcs"
	_ "github.com/ipfs/boxo/bitswap"
	_ "github.com/ipfs/boxo/bitswap/network/bsnet"
	_ "github.com/ipfs/boxo/blockservice"
	_ "github.com/ipfs/boxo/blockstore"
	_ "github.com/ipfs/boxo/ipld/unixfs/importer/balanced"
	_ "github.com/ipfs/boxo/ipld/unixfs/io"
	_ "github.com/ipfs/go-ds-pebble"
	_ "github.com/ipld/go-car/v2"
	_ "github.com/libp2p/go-libp2p"
	_ "github.com/libp2p/go-libp2p-pubsub"
	_ "github.com/mattn/go-sqlite3"
	_ "github.com/rogpeppe/go-internal/testscript"
	_ "github.com/tyler-smith/go-bip39"
	_ "go.uber.org/goleak"
	_ "golang.org/x/crypto/argon2"
	_ "golang.org/x/crypto/chacha20poly1305"
	_ "golang.org/x/sync/errgroup"
	_ "golang.org/x/term"
)
