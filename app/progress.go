package app

import (
	"context"
	"errors"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"
)

// task is long work with a progress bar and a Cancel button. work runs off
// the UI goroutine with a context that Cancel (or locking) ends; report
// with progress(done, total), total ≤ 0 when unknown. done runs on the UI
// goroutine with work's error (context.Canceled after Cancel).
func (u *UI) runTask(title, what string, work func(ctx context.Context, progress func(done, total int64)) error, done func(error)) {
	sess := u.session()
	parent := u.ctx
	if sess != nil {
		parent = sess.ctx
	}
	ctx, cancel := context.WithCancel(parent)
	bar := widget.NewProgressBar()
	spin := widget.NewProgressBarInfinite()
	label := widget.NewLabel(what)
	label.Wrapping = fyne.TextWrapWord
	body := container.NewVBox(label, container.NewStack(spin, bar))
	bar.Hide()
	d := dialog.NewCustom(title, "Cancel", body, u.win)
	d.SetOnClosed(cancel) // Cancel; once the work ended, a no-op
	d.Resize(fyne.NewSize(460, 0))
	d.Show()
	run := func(f func()) { go f() }
	if sess != nil {
		run = sess.spawn // the session waits for it before closing the wallet
	}
	run(func() {
		err := work(ctx, func(n, total int64) {
			if total <= 0 {
				return
			}
			u.do(func() {
				if spin.Visible() {
					spin.Stop()
					spin.Hide()
					bar.Show()
				}
				bar.SetValue(float64(n) / float64(total))
			})
		})
		if err == nil && ctx.Err() != nil {
			err = ctx.Err()
		}
		u.do(func() {
			spin.Stop()
			d.Hide() // runs cancel, which the work no longer heeds
			if done != nil {
				done(err)
			}
		})
	})
}

// canceled reports whether err is the user's Cancel.
func canceled(err error) bool { return errors.Is(err, context.Canceled) }
