// Package app is Health Wallet's desktop interface, in Fyne: the screens and
// the little state that ties them together. It is a thin layer over package
// wallet: every action a screen offers is a wallet call the CLI can make too.
//
// The package never imports fyne.io/fyne/v2/app: the caller hands it a
// fyne.App, so main wires the real OpenGL driver and tests use Fyne's
// headless test driver. Work that blocks runs off the UI goroutine and
// reports back through fyne.Do.
package app
