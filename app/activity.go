package app

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"
)

func (u *UI) activityScreen() fyne.CanvasObject {
	return widget.NewLabel("Activity: the audit log")
}
