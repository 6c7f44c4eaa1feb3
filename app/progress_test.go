package app

import (
	"context"
	"errors"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"
)

// A task reports progress, ends with its result; Cancel ends its context
// and the caller hears context.Canceled.
func TestRunTask(t *testing.T) {
	u := newTestUI(t, newOfflineWallet(t))
	results := make(chan error, 2)
	release := make(chan struct{})
	onUI(func() {
		u.runTask("Working", "Doing a thing", func(ctx context.Context, progress func(done, total int64)) error {
			progress(1, 4)
			<-release
			return errors.New("the thing failed")
		}, func(err error) { results <- err })
	})
	waitFor(t, "progress shown", func() bool {
		found := false
		everything(u.Window(), func(o fyne.CanvasObject) {
			if b, ok := o.(*widget.ProgressBar); ok && b.Visible() && b.Value == 0.25 {
				found = true
			}
		})
		return found
	})
	close(release)
	if err := <-results; err == nil || err.Error() != "the thing failed" {
		t.Fatalf("done with %v", err)
	}
	waitFor(t, "dialog closed", func() bool { return findButton(u.Window(), "Cancel") == nil })

	onUI(func() {
		u.runTask("Waiting", "Until cancelled", func(ctx context.Context, _ func(int64, int64)) error {
			<-ctx.Done()
			return ctx.Err()
		}, func(err error) { results <- err })
	})
	tap(t, u.Window(), "Cancel")
	if err := <-results; !canceled(err) {
		t.Fatalf("cancelled task ended with %v", err)
	}
}
