package app

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"
)

func (u *UI) sharingScreen() fyne.CanvasObject {
	return widget.NewLabel("Sharing: requests, grants, emergency access")
}
