package fhir

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestDetectAttachment(t *testing.T) {
	bmp := append([]byte("BM"), make([]byte, 30)...)
	bmp[14] = 40
	tests := []struct {
		data []byte
		want string
	}{
		{[]byte("%PDF-1.7\n..."), "application/pdf"},
		{append([]byte("\xEF\xBB\xBF\n"), []byte("%PDF-1.4")...), "application/pdf"},
		{[]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), "image/png"},
		{[]byte{0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, 'J', 'F', 'I', 'F'}, "image/jpeg"},
		{[]byte("GIF89a\x01\x00"), "image/gif"},
		{[]byte("GIF87a\x01\x00"), "image/gif"},
		{[]byte("RIFF\x24\x00\x00\x00WEBPVP8 "), "image/webp"},
		{[]byte("II*\x00\x08\x00\x00\x00"), "image/tiff"},
		{[]byte("MM\x00*\x00\x00\x00\x08"), "image/tiff"},
		{bmp, "image/bmp"},
		{[]byte("BMW is a car brand, not a bitmap file at all"), ""},
		{[]byte("RIFF\x24\x00\x00\x00WAVEfmt "), ""},
		{[]byte(`{"resourceType":"Patient"}`), ""},
		{[]byte("report.pdf"), ""},
		{nil, ""},
	}
	for _, tt := range tests {
		got, ok := DetectAttachment(tt.data)
		if got != tt.want || ok != (tt.want != "") {
			t.Errorf("DetectAttachment(%.12q) = %q, %v; want %q", tt.data, got, ok, tt.want)
		}
	}
}

func TestAttachmentDocumentRoundTrip(t *testing.T) {
	data := []byte("%PDF-1.7\n\x00\x01\x02 binary bytes \xff\xfe")
	date := time.Date(2023, 4, 5, 6, 7, 8, 123000000, time.FixedZone("", -5*3600))
	doc, err := AttachmentDocument("Blood test <results> & notes.pdf", "application/pdf", date, data)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"resourceType":"DocumentReference","meta":{"tag":[{"system":"urn:healthwallet:record-kind","code":"attachment"}]},"status":"current","date":"2023-04-05T06:07:08.123-05:00","content":[{"attachment":{"contentType":"application/pdf","data":"JVBERi0xLjcKAAECIGJpbmFyeSBieXRlcyD//g==","title":"Blood test <results> & notes.pdf","size":28,"creation":"2023-04-05T06:07:08.123-05:00"}}]}`
	if string(doc) != want {
		t.Errorf("AttachmentDocument =\n%s\nwant\n%s", doc, want)
	}

	// Through Parse (as an import of an exported Bundle would) and back.
	res, err := Parse("doc.json", doc)
	if err != nil {
		t.Fatal(err)
	}
	title, ct, gotDate, gotData, ok := ParseAttachmentDocument(res[0])
	if !ok {
		t.Fatal("ParseAttachmentDocument did not recognise its own document")
	}
	if title != "Blood test <results> & notes.pdf" || ct != "application/pdf" || !gotDate.Equal(date) || !bytes.Equal(gotData, data) {
		t.Errorf("round trip = %q %q %v %q", title, ct, gotDate, gotData)
	}
	s := Summarize(res[0])
	if s.Title != "Blood test <results> & notes.pdf" || !s.Date.Equal(date) || s.Category != CategoryDocuments {
		t.Errorf("Summarize = %+v", s)
	}

	// And through an exported Bundle.
	var out bytes.Buffer
	bw, _ := NewBundleWriter(&out, date)
	if err := bw.Add(res[0]); err != nil {
		t.Fatal(err)
	}
	if err := bw.Close(); err != nil {
		t.Fatal(err)
	}
	back, err := Parse("export.json", out.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, d, ok := ParseAttachmentDocument(back[0]); !ok || !bytes.Equal(d, data) {
		t.Error("attachment lost in the Bundle round trip")
	}
}

func TestAttachmentDocumentRejects(t *testing.T) {
	now := time.Now()
	for _, tt := range []struct {
		name, ct string
		date     time.Time
		data     []byte
	}{
		{"no content type", "", now, []byte("x")},
		{"not a MIME type", "pdf", now, []byte("x")},
		{"control character", "image/png\n", now, []byte("x")},
		{"no date", "image/png", time.Time{}, []byte("x")},
		{"no data", "image/png", now, nil},
		{"year out of range", "image/png", time.Date(-5, 1, 1, 0, 0, 0, 0, time.UTC), []byte("x")},
	} {
		if _, err := AttachmentDocument("f", tt.ct, tt.date, tt.data); err == nil {
			t.Errorf("%s: accepted", tt.name)
		}
	}
}

// TestSyntheaDocumentReferenceIsNotAnAttachment: Synthea's clinical notes
// carry inline text/plain attachments and must stay ordinary records.
func TestSyntheaDocumentReferenceIsNotAnAttachment(t *testing.T) {
	for _, f := range readTestFiles(t, bulkDir, "DocumentReference.*.ndjson") {
		res, err := Parse(f.name, f.data)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range res {
			if _, _, _, _, ok := ParseAttachmentDocument(r); ok {
				t.Fatalf("%s/%s taken for an attachment record", r.Type, r.ID)
			}
		}
	}
}

func TestParseAttachmentDocumentShapes(t *testing.T) {
	doc, err := AttachmentDocument("a.png", "image/png", time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), []byte("\x89PNG\r\n\x1a\n"))
	if err != nil {
		t.Fatal(err)
	}
	mutate := func(f func(m map[string]any)) Resource {
		var m map[string]any
		if err := json.Unmarshal(doc, &m); err != nil {
			t.Fatal(err)
		}
		f(m)
		b, _ := json.Marshal(m)
		return Resource{Type: "DocumentReference", JSON: b}
	}
	att := func(m map[string]any) map[string]any {
		return m["content"].([]any)[0].(map[string]any)["attachment"].(map[string]any)
	}
	tests := []struct {
		name string
		r    Resource
		ok   bool
	}{
		{"as built", Resource{Type: "DocumentReference", JSON: doc}, true},
		{"no tag", mutate(func(m map[string]any) { delete(m, "meta") }), false},
		{"other tag code", mutate(func(m map[string]any) {
			m["meta"] = map[string]any{"tag": []any{map[string]any{"system": RecordKindSystem, "code": "note"}}}
		}), false},
		{"two contents", mutate(func(m map[string]any) { m["content"] = append(m["content"].([]any), m["content"].([]any)[0]) }), false},
		{"url instead of data", mutate(func(m map[string]any) { delete(att(m), "data"); att(m)["url"] = "http://x" }), false},
		{"bad base64", mutate(func(m map[string]any) { att(m)["data"] = "!!!" }), false},
		{"size mismatch", mutate(func(m map[string]any) { att(m)["size"] = 3 }), false},
		{"no size is fine", mutate(func(m map[string]any) { delete(att(m), "size") }), true},
		{"wrapped base64 is fine", mutate(func(m map[string]any) { att(m)["data"] = "iVBORw0K\nGgo=" }), true},
		{"other resource type", Resource{Type: "Binary", JSON: doc}, false},
		{"garbage", Resource{Type: "DocumentReference", JSON: []byte(strings.Repeat("{", 1000) + RecordKindSystem)}, false},
	}
	for _, tt := range tests {
		if _, _, _, _, ok := ParseAttachmentDocument(tt.r); ok != tt.ok {
			t.Errorf("%s: ok = %v, want %v", tt.name, ok, tt.ok)
		}
	}
}
