// Package p2p carries the consent chain between nodes over libp2p: gossip
// of transactions and blocks (gossipsub) and a request/response protocol to
// sync blocks in batches. It runs on a host it is given, normally the IPFS
// node's (package ipfs), so one identity and one set of connections serve
// both content and ledger.
//
// It owns:
//
//   - the topics (Topics): one for transactions and one for blocks per
//     genesis, with validators that decode and verify every message before
//     gossipsub forwards it: a message that fails is rejected (not spread)
//     and its sender's score lowered. Blocks go through
//     ledger.InsertBlock and transactions through ledger.AddTx, so a
//     message is forwarded only if this node accepted it;
//   - the sync protocol (sync.go, wire.go; ProtocolID): Status (genesis,
//     head) and Blocks (canonical blocks from a number, in batches), used
//     when a node starts, when a peer's head is better, and when gossip
//     brings a block whose parent is unknown. Gossip alone loses messages
//     under bursts; sync is what makes every node converge;
//   - peer penalties (penalty.go): points for each invalid message or
//     response, fed into gossipsub's peer score as the application-specific
//     component; at BanThreshold the peer is disconnected, blacklisted in
//     pubsub and its sync streams refused for BanDuration.
//
// It does not own the chain's rules (chain, chain/clique, chain/state,
// chain/ledger), the host's transports, keys or connection management
// (package ipfs), or which peers to dial.
package p2p
