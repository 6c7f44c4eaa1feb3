// Package qr turns a short text such as a Health Wallet ID into a QR code
// image and reads one back from a picture (a photo or a screenshot of a
// patient's "My ID" screen). It knows nothing of what the text means;
// callers parse it.
package qr

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // photos of a patient's screen or card
	_ "image/png"
	"io"

	"github.com/makiuchi-d/gozxing"
	zxqr "github.com/makiuchi-d/gozxing/qrcode"
	"github.com/skip2/go-qrcode"
)

// MaxImageBytes bounds a picture handed to Read.
const MaxImageBytes = 20 << 20

// MaxPixels bounds the decoded picture, whatever its header claims.
const MaxPixels = 50_000_000

// ErrNoCode is returned when a picture holds no readable QR code.
var ErrNoCode = errors.New("qr: no QR code found in the picture")

// PNG encodes text as a QR code, size pixels square, with medium error
// correction (a screen photographed at an angle still reads).
func PNG(text string, size int) ([]byte, error) {
	b, err := qrcode.Encode(text, qrcode.Medium, size)
	if err != nil {
		return nil, fmt.Errorf("qr: encode %d bytes: %w", len(text), err)
	}
	return b, nil
}

// Read finds a QR code in a PNG or JPEG picture and returns its text.
func Read(r io.Reader) (string, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxImageBytes+1))
	if err != nil {
		return "", fmt.Errorf("qr: read picture: %w", err)
	}
	if len(b) > MaxImageBytes {
		return "", fmt.Errorf("qr: picture larger than %d bytes", MaxImageBytes)
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		return "", fmt.Errorf("qr: not a PNG or JPEG picture: %w", err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width*cfg.Height > MaxPixels {
		return "", fmt.Errorf("qr: picture of %d×%d pixels is too large", cfg.Width, cfg.Height)
	}
	img, _, err := image.Decode(bytes.NewReader(b))
	if err != nil {
		return "", fmt.Errorf("qr: not a PNG or JPEG picture: %w", err)
	}
	return Decode(img)
}

// Decode finds a QR code in img and returns its text.
func Decode(img image.Image) (string, error) {
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		return "", fmt.Errorf("qr: %w", err)
	}
	hints := map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true}
	res, err := zxqr.NewQRCodeReader().Decode(bmp, hints)
	if err != nil {
		return "", fmt.Errorf("%w (%v)", ErrNoCode, err)
	}
	return res.GetText(), nil
}
