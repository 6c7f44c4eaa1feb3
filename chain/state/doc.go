// Package state holds the verified ledger state of the consent chain in
// SQLite (same durability rules as the wallet catalog: WAL,
// synchronous=FULL, foreign keys, settings checked at open, schema
// migrations by PRAGMA user_version).
//
// It owns:
//
//   - the state tables: account nonces, record anchors, consent grants,
//     access requests and decisions, registered clinicians, emergency
//     authorizations, accesses and releases, licensing authorities and
//     their votes, clinicians' credentials and status changes
//     (credentials.go), prescriptions and their dispenses
//     (prescriptions.go), supply-chain organisations, batches, shipments,
//     receipts, pack dispenses and recalls (supply.go);
//   - the transaction rules against that state: a Handler per chain.TxType
//     (Register), so a new transaction type is a new handler. ApplyBlock
//     checks the sender's nonce for every transaction, then the type's
//     handler (who may send it, what it may touch), all in one SQLite
//     transaction: one refused transaction refuses the whole block and
//     leaves the state unchanged;
//   - the undo log: every row a block creates carries its block number
//     (anchors, grants, requests, clinicians, revocations and decisions),
//     and the only rows a block overwrites, account nonces, have their
//     previous values kept in undo_accounts. RevertBlock rolls the head
//     block back exactly (a reorg is RevertBlock k times, then ApplyBlock);
//     PruneUndo drops undo data below a depth no reorg can reach. Handlers
//     with their own tables implement Reverter;
//   - the queries the wallet needs: CanRead, ActiveGrants, GrantsTo, Grant,
//     PendingRequests, History (audit log), Clinician, Nonce and NonceFunc
//     (chain.NonceFunc for the mempool), Head (a restart resumes there);
//   - clique signer snapshots by block hash (StoreSnapshot, LoadSnapshot),
//     which need no undo since they are keyed by hash.
//
// Performance: statements are prepared once per database and reused in every
// block's transaction, account nonces are cached per block and written once,
// and tables grow at the end where they can (anchors are a rowid table with
// no index on their random transaction hash), so one block costs a handful
// of page writes and one fsync (synchronous=FULL) however many
// transactions it holds.
//
// Rules chosen here:
//
//   - every transaction's nonce must be its sender's next nonce
//     (ErrBadNonce); it advances by one;
//
//   - a ConsentGrant's sender is the patient; the grantee must differ from
//     it and the grant must not already be expired at the block's time;
//
//   - a RecordAnchor's sender is its patient, or holds a grant from that
//     patient with the write action, active at the block's time, not
//     revoked, whose scope covers the record's ID or category;
//
//   - an AccessRequest's sender must be a registered, unrevoked clinician
//     and not the patient it names; an AccessDecision only by the patient
//     the request names, once;
//
//   - a ConsentRevoke only by the grant's patient (its granter), once;
//
//   - ClinicianRegister: the sender must be a current block signer; a key
//     registers once (a revoked key stays revoked: the clinician uses a new
//     key). ClinicianRevoke: only the clinic that registered the key, and
//     only while that clinic is still a signer (a clinic voted out can
//     no longer act; its clinicians stay registered until the consortium
//     adds a rule for that).
//
//   - AuthorityVote: only a signer; each signer's newest vote on an
//     authority since its last admission or removal counts, and more than
//     half of the signers in force agreeing carries it.
//     CredentialAnchor: only an admitted authority whose kinds include the
//     credential's, once per document hash. CredentialStatusChange: only
//     the issuer while admitted; revoked is final. A credential is valid at
//     time t when anchored by then, within its dates, active at t (status
//     history by block time) and its issuer admitted at t;
//
//   - PrescriptionCommit: only a key with a valid prescriber credential at
//     the block's time. Dispense: only a valid pharmacist; the sequence
//     number must be the next one and within the dispenses allowed, and
//     the prescription unexpired, so each dispense counts once network-wide.
//     EmergencyAccess additionally needs a valid physician or nurse
//     credential once an admitted authority issues them;
//
//   - supply chain (supply.go): organisations registered by a signer or an
//     admitted authority; a GTIN belongs to the first manufacturer that
//     commissions it; custody moves on the recipient's Receipt of a
//     Shipment from the holder; a pack is dispensed once, by the pharmacy
//     holding it, unless recalled or quarantined.
//
// SQLite integers are signed: times and durations above math.MaxInt64 are
// stored as math.MaxInt64 (an expiry of math.MaxUint64 means "never").
//
// It does not own: signature, size and encoding checks (chain.Block.Verify
// does them before ApplyBlock; this package trusts its input to be
// verified), consensus (which keys may seal, difficulty, votes, fork
// choice: chain/clique; the caller passes the signer set in force for each
// block), the state root, networking, sync and the mempool.
package state
