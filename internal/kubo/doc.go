// Package kubo runs kubo, the reference IPFS implementation, as a peer for
// interoperability tests and benchmarks: a throwaway repository, a daemon
// that listens and dials on loopback only, and its CLI for adding, fetching
// and importing content.
//
// The binary is not fetched here. `make kubo` (packaging/kubo/build.sh)
// builds kubo Version into the user's cache directory, where Find looks for
// it, unless the environment variable HEALTHWALLET_KUBO names another one.
// Tests skip when Find returns ErrNoKubo.
//
// A daemon started by Start reaches no network but 127.0.0.1: its swarm
// listens on TCP there and nowhere else (no QUIC, WebTransport, WebRTC or
// WebSocket), its API and gateway too; it has no bootstrap peers, no routing
// (Routing.Type none), no mDNS, AutoConf, AutoNAT service, AutoTLS, relays,
// hole punching, NAT port mapping, providing or telemetry. Given a swarm key
// (kubo's swarm.key format), it joins only that private network.
//
// Every CLI call goes to the daemon's API (`ipfs --api=...`) and so fails if
// the daemon is gone, instead of quietly opening the repository offline.
// Errors carry kubo's stderr; Stop kills the daemon and removes the
// repository. Nothing is printed.
package kubo
