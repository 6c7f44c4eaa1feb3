package app

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
)

// Preference keys (fyne.Preferences, per app ID).
const (
	prefTheme       = "theme"         // "system", "light" or "dark"
	prefAutoLock    = "autolock.mins" // 0: never
	prefClinicTools = "clinic.tools"  // show the Clinic section without being a signer
)

// variantTheme is Fyne's default theme with the light/dark choice fixed.
type variantTheme struct {
	fyne.Theme
	variant fyne.ThemeVariant
}

func (t variantTheme) Color(n fyne.ThemeColorName, _ fyne.ThemeVariant) color.Color {
	return t.Theme.Color(n, t.variant)
}

// applyTheme sets the theme from the user's preference.
func applyTheme(a fyne.App) {
	switch a.Preferences().StringWithFallback(prefTheme, "system") {
	case "light":
		a.Settings().SetTheme(variantTheme{theme.DefaultTheme(), theme.VariantLight})
	case "dark":
		a.Settings().SetTheme(variantTheme{theme.DefaultTheme(), theme.VariantDark})
	default:
		a.Settings().SetTheme(theme.DefaultTheme())
	}
}

func (u *UI) clinicTools() bool { return u.app.Preferences().Bool(prefClinicTools) }
