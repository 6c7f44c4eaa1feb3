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
	"image/png"
	"io"

	"github.com/makiuchi-d/gozxing"
	zxqr "github.com/makiuchi-d/gozxing/qrcode"
)

// MaxImageBytes bounds a picture handed to Read.
const MaxImageBytes = 20 << 20

// MaxPixels bounds the decoded picture, whatever its header claims.
const MaxPixels = 50_000_000

// ErrNoCode is returned when a picture holds no readable QR code.
var ErrNoCode = errors.New("qr: no QR code found in the picture")

// PNG encodes text as a QR code, size pixels square (at least the code's
// own modules plus a four-module quiet zone), with medium error correction
// (a screen photographed at an angle still reads).
//
// The encoder is ZXing's, the same library Read decodes with: the
// go-qrcode encoder used before produced, for about one prescription
// handover text in thirty, a code that ZXing could not read at any size.
func PNG(text string, size int) ([]byte, error) {
	hints := map[gozxing.EncodeHintType]any{
		gozxing.EncodeHintType_ERROR_CORRECTION: "M",
		gozxing.EncodeHintType_MARGIN:           4,
	}
	// ASCII (IDs, handover texts) goes without an ECI header, which some
	// readers mishandle; anything else is declared UTF-8.
	for i := 0; i < len(text); i++ {
		if text[i] >= 0x80 {
			hints[gozxing.EncodeHintType_CHARACTER_SET] = "UTF-8"
			break
		}
	}
	m, err := zxqr.NewQRCodeWriter().Encode(text, gozxing.BarcodeFormat_QR_CODE, size, size, hints)
	if err != nil {
		return nil, fmt.Errorf("qr: encode %d bytes: %w", len(text), err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, grey(m)); err != nil {
		return nil, fmt.Errorf("qr: encode %d bytes: %w", len(text), err)
	}
	return buf.Bytes(), nil
}

// grey copies a bit matrix into an 8-bit grey image (a small PNG, and
// what every viewer shows the same).
func grey(m *gozxing.BitMatrix) *image.Gray {
	img := image.NewGray(image.Rect(0, 0, m.GetWidth(), m.GetHeight()))
	for y := 0; y < m.GetHeight(); y++ {
		for x := 0; x < m.GetWidth(); x++ {
			if !m.Get(x, y) {
				img.Pix[y*img.Stride+x] = 0xff
			}
		}
	}
	return img
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
	// A screenshot or a saved code is a pure barcode, which reads most
	// reliably as one; a photo needs the detector.
	res, err := zxqr.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_PURE_BARCODE: true})
	if err == nil {
		return res.GetText(), nil
	}
	res, err = zxqr.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true})
	if err != nil {
		return "", fmt.Errorf("%w (%v)", ErrNoCode, err)
	}
	return res.GetText(), nil
}
