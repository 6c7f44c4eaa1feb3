package app

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"
)

func (u *UI) patientsScreen() fyne.CanvasObject {
	return widget.NewLabel("Patients")
}
