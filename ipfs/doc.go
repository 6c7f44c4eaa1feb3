// Package ipfs is Health Wallet's content store: encrypted record blobs kept
// as UnixFS DAGs (CIDv1, raw leaves, sha2-256) in a persistent boxo
// blockstore over a pebble datastore in the wallet's data directory.
//
// It owns blocks and their addressing, and nothing about what the bytes mean:
// everything handed to it is already ciphertext. It does not know about
// records, keys or the chain. The network around the store (bitswap over
// libp2p, pinning and GC, CAR export) builds on the same blockstore, so a
// record's CID never changes when the node goes online.
package ipfs
