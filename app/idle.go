package app

import (
	"sync"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/widget"
)

// defaultAutoLock is how long the wallet stays unlocked with nobody at the
// window, unless the user chose otherwise in Settings.
const defaultAutoLock = 10 * time.Minute

// idleWatch locks the wallet after a spell with no mouse or keyboard
// activity in the window.
type idleWatch struct {
	u    *UI
	last atomic.Int64 // unix nanoseconds of the last activity

	mu    sync.Mutex
	stopC chan struct{}
	done  chan struct{}
	// check is how often idleness is checked, and testLimit (if set)
	// replaces the user's minutes: tests shorten both.
	check     time.Duration
	testLimit time.Duration
}

func newIdleWatch(u *UI) *idleWatch {
	w := &idleWatch{u: u, check: 5 * time.Second}
	w.touch()
	if c, ok := u.win.Canvas().(desktop.Canvas); ok {
		c.SetOnKeyDown(func(*fyne.KeyEvent) { w.touch() })
	}
	return w
}

// limit is the idle time after which the wallet locks; 0 means never.
func (w *idleWatch) limit() time.Duration {
	if w.testLimit > 0 {
		return w.testLimit
	}
	mins := w.u.app.Preferences().IntWithFallback(prefAutoLock, int(defaultAutoLock/time.Minute))
	return time.Duration(mins) * time.Minute
}

func (w *idleWatch) touch() { w.last.Store(time.Now().UnixNano()) }

func (w *idleWatch) idleFor() time.Duration {
	return time.Since(time.Unix(0, w.last.Load()))
}

// start begins watching; the wallet locks when idle longer than the limit.
func (w *idleWatch) start() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.stopC != nil {
		return
	}
	w.touch()
	stop, done := make(chan struct{}), make(chan struct{})
	w.stopC, w.done = stop, done
	go func() {
		t := time.NewTicker(w.check)
		defer t.Stop()
		for {
			select {
			case <-stop:
				close(done)
				return
			case <-t.C:
			}
			if lim := w.limit(); lim > 0 && w.idleFor() >= lim {
				// Retire before locking, as the lock stops the watch.
				w.mu.Lock()
				if w.stopC == stop {
					w.stopC, w.done = nil, nil
				}
				w.mu.Unlock()
				close(done)
				w.u.do(func() {
					if w.u.session() != nil {
						w.u.lock()
					}
				})
				return
			}
		}
	}()
}

// stop ends the watch and waits for its goroutine.
func (w *idleWatch) stop() {
	w.mu.Lock()
	stop, done := w.stopC, w.done
	w.stopC, w.done = nil, nil
	w.mu.Unlock()
	if stop == nil {
		return
	}
	close(stop)
	<-done
}

// activityLayer lies under the window's content and notes the mouse moving,
// clicking or scrolling over any part of it that is not itself interactive;
// keys typed outside an entry reach the watch through the canvas, and
// changing section counts too.
type activityLayer struct {
	widget.BaseWidget
	w *idleWatch
}

func newActivityLayer(w *idleWatch) *activityLayer {
	l := &activityLayer{w: w}
	l.ExtendBaseWidget(l)
	return l
}

func (l *activityLayer) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(&fyne.Container{})
}

func (l *activityLayer) MouseIn(*desktop.MouseEvent)    { l.w.touch() }
func (l *activityLayer) MouseMoved(*desktop.MouseEvent) { l.w.touch() }
func (l *activityLayer) MouseOut()                      {}
func (l *activityLayer) Tapped(*fyne.PointEvent)        { l.w.touch() }
func (l *activityLayer) Scrolled(*fyne.ScrollEvent)     { l.w.touch() }
