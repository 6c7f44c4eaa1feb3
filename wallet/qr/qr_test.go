package qr

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"image/png"
	"math/rand/v2"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	for _, text := range []string{
		"hw1qqqsyqcyq5rqwzqfpg9scrgwpugpzysnzs23v9ccrydpk8qarc0jqszjnq", // ID-shaped
		"hello",
	} {
		b, err := PNG(text, 256)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Read(bytes.NewReader(b))
		if err != nil || got != text {
			t.Fatalf("read back %q, %v; want %q", got, err, text)
		}
	}
}

// A photo-like picture: the code small, off centre, on a grey page, saved
// as JPEG.
func TestReadsCodeInALargerPicture(t *testing.T) {
	b, err := PNG("hw1-in-a-photo", 200)
	if err != nil {
		t.Fatal(err)
	}
	code, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	page := image.NewRGBA(image.Rect(0, 0, 900, 700))
	draw.Draw(page, page.Bounds(), &image.Uniform{color.Gray{200}}, image.Point{}, draw.Src)
	draw.Draw(page, code.Bounds().Add(image.Pt(530, 310)), code, image.Point{}, draw.Src)
	var jp bytes.Buffer
	if err := jpeg.Encode(&jp, page, &jpeg.Options{Quality: 80}); err != nil {
		t.Fatal(err)
	}
	got, err := Read(&jp)
	if err != nil || got != "hw1-in-a-photo" {
		t.Fatalf("got %q, %v", got, err)
	}
}

func TestRefusals(t *testing.T) {
	blank := image.NewGray(image.Rect(0, 0, 100, 100))
	var p bytes.Buffer
	png.Encode(&p, blank)
	if _, err := Read(&p); !errors.Is(err, ErrNoCode) {
		t.Errorf("blank picture: %v", err)
	}
	if _, err := Read(bytes.NewReader([]byte("not a picture"))); err == nil {
		t.Error("garbage read as a picture")
	}
}

func FuzzRead(f *testing.F) {
	b, _ := PNG("seed", 64)
	f.Add(b)
	f.Add([]byte("\x89PNG\r\n\x1a\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		Read(bytes.NewReader(data)) // must not panic
	})
}

// Long texts such as a prescription's handover text (about 1,100
// base64url characters) read back, whatever their content: the encoder
// used before failed for about one text in thirty.
func TestRoundTripManyLongTexts(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	for i := range 60 {
		n := 900 + rng.IntN(400)
		b := make([]byte, n)
		for j := range b {
			b[j] = alphabet[rng.IntN(len(alphabet))]
		}
		text := "hwrx1:" + string(b)
		for _, size := range []int{560, 800} {
			png, err := PNG(text, size)
			if err != nil {
				t.Fatalf("text %d (%d bytes), %d px: %v", i, len(text), size, err)
			}
			got, err := Read(bytes.NewReader(png))
			if err != nil || got != text {
				t.Fatalf("text %d (%d bytes), %d px: read back %d bytes, %v", i, len(text), size, len(got), err)
			}
		}
	}
}
