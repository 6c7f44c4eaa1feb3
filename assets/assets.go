// Package assets holds the files bundled into the binary: the application
// icon (SVG source and PNG renderings made from it with librsvg:
// `rsvg-convert -w 512 -h 512 icon.svg -o icon.png`, likewise icon-N.png).
package assets

import _ "embed"

// IconPNG is the 512x512 application icon.
//
//go:embed icon.png
var IconPNG []byte
