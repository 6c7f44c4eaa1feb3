package app

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"
)

func (u *UI) myIDScreen() fyne.CanvasObject {
	return widget.NewLabel("My ID")
}
