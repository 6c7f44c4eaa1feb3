package ledger

import (
	"crypto/sha256"
	"encoding/binary"

	"github.com/healthwallet/healthwallet/chain"
)

// stateRootDomain starts every state root preimage.
const stateRootDomain = "healthwallet-state-root-v1"

// StateRoot is the state commitment a header carries: SHA-256 of
//
//	"healthwallet-state-root-v1" || parent's state root || number (u64 BE) ||
//	tx root || count (u32 BE) || the signer keys in force, sorted
//
// The state is a deterministic function of the transactions applied in
// order and of the signer set each block ran under (who may register
// clinicians), so this chains a commitment to exactly those inputs: two
// nodes that agree on a head's state root applied the same transactions
// under the same signer sets since genesis. It is not a Merkle commitment
// to the rows; nothing in this design proves single values to light
// clients, and every node replays every block.
func StateRoot(parent chain.Hash, number uint64, txRoot chain.Hash, signers []chain.PublicKey) chain.Hash {
	h := sha256.New()
	h.Write([]byte(stateRootDomain))
	h.Write(parent[:])
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], number)
	h.Write(n[:])
	h.Write(txRoot[:])
	binary.BigEndian.PutUint32(n[:4], uint32(len(signers)))
	h.Write(n[:4])
	for _, k := range signers {
		h.Write(k[:])
	}
	return chain.Hash(h.Sum(nil))
}
