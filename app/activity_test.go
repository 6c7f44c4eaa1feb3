package app

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"github.com/healthwallet/healthwallet/chain"
	"github.com/healthwallet/healthwallet/wallet"
)

// activityFilter sets the Activity screen's filter.
func activityFilter(t *testing.T, w fyne.Window, kind string) {
	t.Helper()
	var sel *widget.Select
	waitFor(t, "the activity filter", func() bool {
		everything(w, func(o fyne.CanvasObject) {
			if s, ok := o.(*widget.Select); ok && len(s.Options) > 0 && s.Options[0] == "Everything" {
				sel = s
			}
		})
		return sel != nil
	})
	onUI(func() { sel.SetSelected(kind) })
}

// The activity log shows a request, a decline, a grant made unasked and
// its expiry (which no block announces) in words; the filter narrows it to
// one kind; the FHIR export holds an AuditEvent for each.
func TestActivityFilterAndExport(t *testing.T) {
	c, dirs := newConsortium(t, "patient", "doctor")
	importBundleInto(t, dirs["patient"])
	doctor := c.open(t, dirs["doctor"])
	defer doctor.Close()
	c.register(t, doctor)

	u := unlockUI(t, dirs["patient"])
	win := u.Window()
	patient := u.Wallet()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	// The patient's side through the wallet, as the Sharing screen calls
	// it; this test is about what Activity makes of it.
	req, err := doctor.RequestAccess(ctx, patient.ID(), wallet.AccessRequest{Categories: []string{"medications"},
		Purpose: chain.PurposeTREAT, Duration: time.Hour, Note: "repeat prescription"})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the request on the patient's chain", func() bool {
		reqs, err := patient.PendingRequests(ctx)
		return err == nil && len(reqs) == 1
	})
	if err := patient.Decline(ctx, req); err != nil {
		t.Fatal(err)
	}
	if _, err := patient.Grant(ctx, wallet.GrantSpec{Clinician: doctor.ID(), Categories: []string{"allergies"},
		Purpose: chain.PurposeTREAT, Duration: 3 * time.Second, Read: true}); err != nil {
		t.Fatal(err)
	}

	goToSection(u, "Activity")
	const (
		asked    = "Physician at Test Clinic"
		request  = "asked to see medications."
		declined = "You declined a request from Physician at Test Clinic"
		granted  = "You shared allergies with Physician at Test Clinic"
		expired  = "to allergies expired."
	)
	waitFor(t, "request, decline, grant and expiry in the log", func() bool {
		return anyLabelHas(win, asked) && anyLabelHas(win, request) && anyLabelHas(win, declined) &&
			anyLabelHas(win, granted) && anyLabelHas(win, expired) && anyLabelHas(win, "Note: “repeat prescription”")
	})

	activityFilter(t, win, "Grants")
	waitFor(t, "only grants", func() bool {
		return anyLabelHas(win, granted) && !anyLabelHas(win, declined) && !anyLabelHas(win, request)
	})
	activityFilter(t, win, "Declined requests")
	waitFor(t, "only declines", func() bool {
		return anyLabelHas(win, declined) && !anyLabelHas(win, granted)
	})
	activityFilter(t, win, "Emergency access")
	waitFor(t, "nothing of that kind", func() bool { return anyLabelHas(win, "Nothing of this kind yet.") })

	// The export, as Export as FHIR… writes it.
	path := filepath.Join(t.TempDir(), "activity.json")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := writeActivityFHIR(ctx, patient, f); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var bundle struct {
		ResourceType string
		Type         string
		Entry        []struct {
			Resource json.RawMessage
		}
	}
	if err := json.Unmarshal(b, &bundle); err != nil || bundle.ResourceType != "Bundle" {
		t.Fatalf("export is not a FHIR Bundle: %v", err)
	}
	actions := map[string]bool{}
	for _, e := range bundle.Entry {
		var r struct {
			ResourceType string
			Subtype      []struct{ System, Code string }
		}
		if err := json.Unmarshal(e.Resource, &r); err != nil {
			t.Fatal(err)
		}
		for _, s := range r.Subtype {
			if strings.HasPrefix(s.System, "urn:healthwallet:") {
				actions[s.Code] = true
			}
		}
	}
	for _, want := range []string{"request", "decline", "grant", "expiry"} {
		if !actions[want] {
			t.Errorf("the export has no %s AuditEvent (has %v)", want, actions)
		}
	}
}
