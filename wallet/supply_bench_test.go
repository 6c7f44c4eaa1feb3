package wallet_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/healthwallet/healthwallet/chain"
	"github.com/healthwallet/healthwallet/wallet"
)

// packBenchWorld is a live one-clinic chain with a registered manufacturer
// and pharmacy.
func packBenchWorld(b *testing.B, ctx context.Context) (maker, pharmacy *wallet.Wallet) {
	b.Helper()
	names := []string{"clinic", "maker", "pharmacy"}
	dirs, g := consortium(b, "hw-pack-bench", names, []string{"clinic"})
	clinic := onChain(b, dirs["clinic"], g, 1<<30)
	maker, pharmacy = onChain(b, dirs["maker"], g, 0), onChain(b, dirs["pharmacy"], g, 0)
	sealCtx, stop := context.WithCancel(ctx)
	sealer := make(chan error, 1)
	go func() { sealer <- clinic.RunSealer(sealCtx) }()
	b.Cleanup(func() {
		stop()
		<-sealer
		for _, w := range []*wallet.Wallet{maker, pharmacy, clinic} {
			w.Close()
		}
	})
	for _, w := range []*wallet.Wallet{maker, pharmacy} {
		if err := w.ConnectPeer(ctx, clinic.Addrs()[0]); err != nil {
			b.Fatal(err)
		}
	}
	if err := clinic.RegisterOrganisation(ctx, maker.ChainKey(), chain.OrgManufacturer, "Bench Pharma", ""); err != nil {
		b.Fatal(err)
	}
	if err := clinic.RegisterOrganisation(ctx, pharmacy.ChainKey(), chain.OrgPharmacy, "Bench Pharmacy", ""); err != nil {
		b.Fatal(err)
	}
	waitFor(b, 30*time.Second, "the registrations", func() bool {
		_, m, _ := maker.MyOrganisation()
		_, p, _ := pharmacy.MyOrganisation()
		return m && p
	})
	return maker, pharmacy
}

// randomSerials returns n distinct serials of 12 alphanumerics, as
// manufacturers print them (GS1 AI 21).
func randomSerials(n int) []string {
	rng := rand.New(rand.NewPCG(7, 11))
	const alphabet = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"
	seen := make(map[string]bool, n)
	out := make([]string, 0, n)
	for len(out) < n {
		b := make([]byte, 12)
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		if s := string(b); !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// BenchmarkCommissionBatch100k is a manufacturer commissioning a batch of
// 100,000 packs: the signed serial list built, its Merkle root, the file
// added to the wallet's IPFS node and pinned, and the BatchCommission
// signed and submitted (checked against the state and gossiped). The
// block that then includes it comes with the chain's period.
func BenchmarkCommissionBatch100k(b *testing.B) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	maker, _ := packBenchWorld(b, ctx)
	serials := randomSerials(100_000)
	lot := 0
	for b.Loop() {
		lot++
		if _, err := wallet.CommissionNoWait(ctx, maker, testGTIN, fmt.Sprint("B", lot), "301231", serials); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/commission")
}

// BenchmarkVerifyPack is a pharmacy's scan of a pack of a 100,000-pack
// batch from its own copy of the chain, the batch's serial list cached
// (fetched once from IPFS): parse, batch, manufacturer, Merkle proof,
// expiry, recalls, custody, dispenses.
func BenchmarkVerifyPack(b *testing.B) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	maker, pharmacy := packBenchWorld(b, ctx)
	serials := randomSerials(100_000)
	if _, err := maker.CommissionBatch(ctx, testGTIN, "V1", "301231", serials); err != nil {
		b.Fatal(err)
	}
	shipped := serials[:400]
	id, err := maker.Ship(ctx, testGTIN, "V1", pharmacy.ChainKey(), shipped)
	if err != nil {
		b.Fatal(err)
	}
	waitFor(b, 30*time.Second, "the shipment at the pharmacy", func() bool {
		s, err := pharmacy.IncomingShipments(true)
		return err == nil && len(s) == 1
	})
	if err := pharmacy.Receive(ctx, id); err != nil {
		b.Fatal(err)
	}
	codes := make([]string, len(shipped))
	for i, s := range shipped {
		codes[i] = packCode(testGTIN, s, "V1", "301231")
	}
	if v, err := pharmacy.VerifyPack(ctx, codes[0]); err != nil || !v.OK {
		b.Fatalf("first scan: %v, %v", v.Reasons, err)
	}
	i := 0
	for b.Loop() {
		v, err := pharmacy.VerifyPack(ctx, codes[i%len(codes)])
		if err != nil || !v.OK {
			b.Fatalf("scan: %v, %v", v.Reasons, err)
		}
		i++
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "verifications/s")
	b.ReportMetric(b.Elapsed().Seconds()*1000/float64(b.N), "ms/verdict")
}
