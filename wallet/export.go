package wallet

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/healthwallet/healthwallet/wallet/catalog"
	"github.com/healthwallet/healthwallet/wallet/fhir"
)

// ExportBundle writes every record as one FHIR R4 Bundle of type collection.
// Attachments travel as tagged DocumentReferences, so importing the Bundle
// into a fresh wallet gives back the same catalog.
func (w *Wallet) ExportBundle(ctx context.Context, out io.Writer, progress Progress) error {
	recs, err := w.catalog.List(ctx, catalog.Query{})
	if err != nil {
		return err
	}
	bw, err := fhir.NewBundleWriter(out, w.opts.now())
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	for i, rec := range recs {
		if err := ctx.Err(); err != nil {
			return err
		}
		_, plain, err := w.Read(ctx, rec.ID)
		if err != nil {
			return fmt.Errorf("export: %w", err)
		}
		res := fhir.Resource{Type: rec.ResourceType, JSON: plain}
		if rec.Kind == catalog.KindFHIR {
			var head struct {
				ID string `json:"id"`
			}
			if err := json.Unmarshal(plain, &head); err != nil {
				return fmt.Errorf("export record %s: %w", rec.ID, err)
			}
			res.ID = head.ID
		}
		if rec.Kind == catalog.KindAttachment {
			doc, err := fhir.AttachmentDocument(rec.Title, rec.ContentType, rec.Date, plain)
			if err != nil {
				return fmt.Errorf("export record %s: %w", rec.ID, err)
			}
			res = fhir.Resource{Type: "DocumentReference", JSON: doc}
		}
		if err := bw.Add(res); err != nil {
			return fmt.Errorf("export record %s: %w", rec.ID, err)
		}
		if progress != nil {
			progress(int64(i+1), int64(len(recs)))
		}
	}
	if err := bw.Close(); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	return nil
}
