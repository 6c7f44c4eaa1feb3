package ledger

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/healthwallet/healthwallet/chain"
	"github.com/healthwallet/healthwallet/internal/chaintest"
)

// The benchmark chain: one signer sealing blocks of benchPerBlock
// transactions from benchAccounts accounts, each account sending one
// transaction every benchAccounts/benchPerBlock blocks. Of each block's
// transactions 90 are RecordAnchors (a patient anchoring their own record)
// and 10 are ConsentGrants (a patient granting read access to another
// account). The chain is deterministic (Ed25519 signatures are, and the
// sealer seals each block one period after its parent), so a shorter run is
// a prefix of a longer one.
const (
	benchPerBlock = 100
	benchAccounts = 1000
	benchGrants   = 10 // of each block's transactions
	benchSigner   = "clinic-a"
	// benchSyncBlocks is BenchmarkSync10000x100's chain length.
	benchSyncBlocks = 10_000
	// benchCacheVersion names the cache of generated blocks; bump it when
	// the generator or the block format changes.
	benchCacheVersion = "v1"
)

func benchGenesis() *chain.Genesis { return chaintest.Genesis(2, benchSigner) }

// benchKeys are the accounts' keys, derived once.
var benchKeys = sync.OnceValue(func() []ed25519.PrivateKey {
	keys := make([]ed25519.PrivateKey, benchAccounts)
	for i := range keys {
		keys[i] = chaintest.Key(fmt.Sprintf("bench-%d", i))
	}
	return keys
})

// benchTxs returns block number's transactions, signed on every core.
func benchTxs(number uint64) []*chain.Tx {
	keys := benchKeys()
	cid := chaintest.CID("bench-record")
	rounds := uint64(benchAccounts / benchPerBlock)
	nonce := (number - 1) / rounds
	first := int((number-1)%rounds) * benchPerBlock
	txs := make([]*chain.Tx, benchPerBlock)
	var wg sync.WaitGroup
	workers := runtime.GOMAXPROCS(0)
	for w := range workers {
		wg.Go(func() {
			for k := w; k < benchPerBlock; k += workers {
				j := first + k
				key := keys[j]
				me := chain.PublicKeyOf(key)
				var body chain.Body
				if k < benchPerBlock-benchGrants {
					body = chain.RecordAnchor{Patient: me, RecordID: fmt.Sprintf("r%d", number), CID: cid, Category: chain.CategoryConditions, Time: chaintest.GenesisTime}
				} else {
					body = chain.ConsentGrant{Grantee: chain.PublicKeyOf(keys[(j+1)%benchAccounts]), Scope: chain.NewScope([]string{fmt.Sprintf("r%d", number)}, nil),
						Actions: chain.ActionRead, Purpose: chain.PurposeTREAT, Expiry: 1 << 40, Capsule: cid}
				}
				tx, err := chain.Sign(key, chaintest.ChainID, nonce, body)
				if err != nil {
					panic(err)
				}
				txs[k] = tx
			}
		})
	}
	wg.Wait()
	return txs
}

// buildBenchChain seals n blocks on a builder ledger in dir (the signing of
// the next block's transactions overlaps the sealing of the current one)
// and calls emit with each.
func buildBenchChain(tb testing.TB, dir string, n int, emit func(*chain.Block) error) {
	ctx := context.Background()
	l, err := Open(ctx, Config{Dir: dir, Genesis: benchGenesis(), Now: farClock})
	if err != nil {
		tb.Fatal(err)
	}
	defer l.Close()
	next := make(chan []*chain.Tx, 4)
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for number := uint64(1); number <= uint64(n); number++ {
			select {
			case next <- benchTxs(number):
			case <-stop:
				return
			}
		}
	}()
	key := chaintest.Key(benchSigner)
	for range n {
		txs := <-next
		// Pool().Add, not AddTx: the builder skips the admission checks of
		// what it signed itself (Seal still checks every transaction
		// against the state, and the node under test verifies everything).
		nonce := l.State().NonceFunc()
		for _, tx := range txs {
			if err := l.Pool().Add(tx, nonce); err != nil {
				tb.Fatal(err)
			}
		}
		blk, err := l.Seal(ctx, key, 0, false)
		if err != nil {
			tb.Fatal(err)
		}
		if len(blk.Txs) != benchPerBlock {
			tb.Fatalf("block %d holds %d transactions, want %d", blk.Header.Number, len(blk.Txs), benchPerBlock)
		}
		if err := emit(blk); err != nil {
			tb.Fatal(err)
		}
	}
}

// benchBlocks keeps the longest benchmark chain generated in this process.
var benchBlocks struct {
	sync.Mutex
	blocks []*chain.Block
}

// benchChain returns the first n blocks of the benchmark chain: from this
// process's earlier calls, from the sync benchmark's cache file if it
// exists (and decodes), or built now.
func benchChain(b *testing.B, n int) []*chain.Block {
	benchBlocks.Lock()
	defer benchBlocks.Unlock()
	if len(benchBlocks.blocks) >= n {
		return benchBlocks.blocks[:n]
	}
	if raws, err := readBenchCache(benchCachePath(), n); err == nil {
		if blks, err := decodeBlocks(raws); err == nil {
			benchBlocks.blocks = blks
			return blks
		}
	}
	var blks []*chain.Block
	buildBenchChain(b, filepath.Join(b.TempDir(), "builder"), n, func(blk *chain.Block) error {
		blks = append(blks, blk)
		return nil
	})
	benchBlocks.blocks = blks
	return blks
}

func benchCachePath() string {
	return filepath.Join(os.TempDir(), "healthwallet-bench-sync-"+benchCacheVersion, fmt.Sprintf("blocks-%dx%d.bin", benchSyncBlocks, benchPerBlock))
}

// The cache file: for each block, its encoding's length (u32 BE) and the
// encoding. It is written to a temporary name and renamed once complete.

// readBenchCache returns the encodings of the cache's first n blocks.
func readBenchCache(path string, n int) ([][]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)
	raws := make([][]byte, 0, n)
	for len(raws) < n {
		var size [4]byte
		if _, err := io.ReadFull(r, size[:]); err != nil {
			return nil, fmt.Errorf("%s: block %d: %w", path, len(raws)+1, err)
		}
		raw := make([]byte, binary.BigEndian.Uint32(size[:]))
		if _, err := io.ReadFull(r, raw); err != nil {
			return nil, fmt.Errorf("%s: block %d: %w", path, len(raws)+1, err)
		}
		raws = append(raws, raw)
	}
	return raws, nil
}

func decodeBlocks(raws [][]byte) ([]*chain.Block, error) {
	blks := make([]*chain.Block, len(raws))
	for i, raw := range raws {
		var err error
		if blks[i], err = chain.DecodeBlock(raw); err != nil {
			return nil, err
		}
	}
	return blks, nil
}

// writeBenchCache builds the sync benchmark's chain into the cache file.
func writeBenchCache(b *testing.B, path string) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		b.Fatal(err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "building-*")
	if err != nil {
		b.Fatal(err)
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	w := bufio.NewWriterSize(tmp, 1<<20)
	builder, err := os.MkdirTemp(filepath.Dir(path), "builder-*")
	if err != nil {
		b.Fatal(err)
	}
	defer os.RemoveAll(builder)
	start := time.Now()
	buildBenchChain(b, builder, benchSyncBlocks, func(blk *chain.Block) error {
		raw := blk.Encode()
		var size [4]byte
		binary.BigEndian.PutUint32(size[:], uint32(len(raw)))
		if _, err := w.Write(size[:]); err != nil {
			return err
		}
		_, err := w.Write(raw)
		if n := blk.Header.Number; n%1000 == 0 {
			b.Logf("generated %d of %d blocks (%s)", n, benchSyncBlocks, time.Since(start).Round(time.Second))
		}
		return err
	})
	if err := errors.Join(w.Flush(), tmp.Close()); err != nil {
		b.Fatal(err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkInsertBlock100: transactions verified and committed per second
// by one node, inserting 100-transaction blocks one by one with InsertBlock
// (every signature, consensus, state rules and root, state and block store
// committed with synchronous=FULL). Compare with
// chain/state's BenchmarkEd25519VerifyAllCores.
func BenchmarkInsertBlock100(b *testing.B) {
	blks := benchChain(b, b.N)
	l := openLedger(b, filepath.Join(b.TempDir(), "node"), benchGenesis())
	ctx := context.Background()
	b.ResetTimer()
	start := time.Now()
	for _, blk := range blks {
		if err := l.InsertBlock(ctx, blk); err != nil {
			b.Fatal(err)
		}
	}
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(len(blks)*benchPerBlock)/elapsed.Seconds(), "tx/s")
}

// BenchmarkInsertBlocks100 is BenchmarkInsertBlock100 through InsertBlocks,
// in batches of benchBatch blocks as sync fetches them: the next blocks'
// signatures are verified while the previous block is applied.
func BenchmarkInsertBlocks100(b *testing.B) {
	blks := benchChain(b, b.N)
	l := openLedger(b, filepath.Join(b.TempDir(), "node"), benchGenesis())
	b.ResetTimer()
	elapsed := insertBatches(b, l, len(blks), func(from, to int) []*chain.Block { return blks[from:to] }, 0)
	b.StopTimer()
	b.ReportMetric(float64(len(blks)*benchPerBlock)/elapsed.Seconds(), "tx/s")
}

// benchBatch is how many blocks a syncing node hands InsertBlocks at once.
const benchBatch = 256

// insertBatches inserts blocks 1 to n with InsertBlocks, benchBatch at a
// time, getting each batch from batch (untimed) and logging the rate about
// every progress blocks (never if 0). It returns the time InsertBlocks took.
func insertBatches(b *testing.B, l *Ledger, n int, batch func(from, to int) []*chain.Block, progress int) time.Duration {
	ctx := context.Background()
	var took, lastTook time.Duration
	logged := 0
	for done := 0; done < n; {
		b.StopTimer()
		blks := batch(done, min(done+benchBatch, n))
		b.StartTimer()
		start := time.Now()
		k, err := l.InsertBlocks(ctx, blks)
		took += time.Since(start)
		if err != nil {
			b.Fatalf("block %d: %v", blks[k].Header.Number, err)
		}
		done += k
		if progress > 0 && (done-logged >= progress || done == n) {
			b.Logf("%d blocks in %s; the last %d at %.0f tx/s", done, took.Round(time.Millisecond), done-logged,
				float64((done-logged)*benchPerBlock)/(took-lastTook).Seconds())
			logged, lastTook = done, took
		}
	}
	return took
}

// BenchmarkSync10000x100: a fresh node replaying 10,000 blocks of 100
// transactions (1,000,000 transactions) through InsertBlocks, as sync does:
// the sustained rate while the state and the block store grow. The blocks
// are generated once into a cache under os.TempDir() (see benchCachePath)
// and kept encoded; each batch is decoded untimed just before it is
// inserted (as a syncing node holds only the batch it fetched). With -short
// it replays only the first 100.
func BenchmarkSync10000x100(b *testing.B) {
	n := benchSyncBlocks
	var raws [][]byte
	if testing.Short() {
		n = 100
		for _, blk := range benchChain(b, n) {
			raws = append(raws, blk.Encode())
		}
	} else {
		path := benchCachePath()
		var err error
		raws, err = readBenchCache(path, n)
		if err == nil {
			_, err = chain.DecodeBlock(raws[0]) // the format may have changed
		}
		if err != nil {
			b.Logf("generating %d blocks into %s (once; %v)", n, path, err)
			writeBenchCache(b, path)
			if raws, err = readBenchCache(path, n); err != nil {
				b.Fatal(err)
			}
		}
	}
	decode := func(from, to int) []*chain.Block {
		blks, err := decodeBlocks(raws[from:to])
		if err != nil {
			b.Fatal(err)
		}
		return blks
	}
	b.ResetTimer()
	var elapsed time.Duration
	for range b.N {
		b.StopTimer()
		dir := filepath.Join(b.TempDir(), "node")
		l, err := Open(context.Background(), Config{Dir: dir, Genesis: benchGenesis(), Now: farClock})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		elapsed += insertBatches(b, l, n, decode, 1000)
		b.StopTimer()
		if got := l.Head().Number; got != uint64(n) {
			b.Fatalf("head %d after replaying %d blocks", got, n)
		}
		if err := errors.Join(l.Close(), os.RemoveAll(dir)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*n*benchPerBlock)/elapsed.Seconds(), "tx/s")
	b.ReportMetric(float64(b.N*n)/elapsed.Seconds(), "blocks/s")
	b.ReportMetric(elapsed.Seconds()/float64(b.N), "s/replay")
}
