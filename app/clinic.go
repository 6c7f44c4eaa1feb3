package app

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"
)

func (u *UI) clinicScreen() fyne.CanvasObject {
	return widget.NewLabel("Clinic")
}
