package app

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/healthwallet/healthwallet/wallet"
	"github.com/healthwallet/healthwallet/wallet/fhir"
)

const (
	bulkConditions = "../../shared/testdata/fhir/bulk-10-patients/Condition.000.ndjson"
	bulkDocuments  = "../../shared/testdata/fhir/bulk-10-patients/DocumentReference.000.ndjson"
	loincWeight    = "29463-7"
)

// recordsWallet makes a wallet (passphrase testPassphrase) holding files.
func recordsWallet(t *testing.T, files ...string) string {
	t.Helper()
	dir := t.TempDir()
	w, _, err := wallet.Create(dir, []byte(testPassphrase), testOpts)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	for _, f := range files {
		if _, err := w.ImportFile(context.Background(), f, nil); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// openRecords unlocks dir in a UI and waits for the Records screen's list.
func openRecords(t *testing.T, dir string) (*UI, *recordsView) {
	t.Helper()
	u := unlockUI(t, dir)
	var v *recordsView
	waitFor(t, "records screen", func() bool {
		everything(u.Window(), func(o fyne.CanvasObject) {
			if s, ok := o.(*recordsRoot); ok {
				v = s.v
			}
		})
		return v != nil
	})
	waitFor(t, "records loaded", func() bool {
		loaded := false
		onUI(func() { loaded = v.loaded })
		return loaded
	})
	return u, v
}

func labelIs(win fyne.Window, want string) func() bool {
	return func() bool { return hasLabel(win, func(s string) bool { return s == want }) }
}

func labelHas(win fyne.Window, part string) func() bool {
	return func() bool { return hasLabel(win, func(s string) bool { return strings.Contains(s, part) }) }
}

// rowIndex finds a record in the list.
func rowIndex(v *recordsView, id string) int {
	i := -1
	onUI(func() {
		for k, r := range v.rows {
			if r.rec.ID == id {
				i = k
			}
		}
	})
	return i
}

func TestRecordsCategories(t *testing.T) {
	dir := recordsWallet(t, bundle, bulkConditions)
	u, v := openRecords(t, dir)
	w := u.Wallet()
	byType, err := w.Counts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{}
	total := 0
	for typ, n := range byType {
		want[fhir.CategoryOf(typ)] += n
		total += n
	}
	waitFor(t, "total count", labelIs(u.Window(), strconv.Itoa(total)+" records"))

	var cats []categoryEntry
	onUI(func() { cats = append(cats, v.categories...) })
	shown := 0
	for i, c := range cats {
		switch c.key {
		case "":
			if c.count != total {
				t.Errorf("All records shows %d, the wallet holds %d", c.count, total)
			}
			continue
		case trendsKey:
			continue
		}
		shown++
		if c.count != want[c.key] {
			t.Errorf("%s shows %d, the wallet holds %d", c.name, c.count, want[c.key])
		}
		onUI(func() { v.catList.Select(i) })
		waitFor(t, c.name+" listed", func() bool {
			ok := false
			onUI(func() {
				ok = v.category == c.key && len(v.rows) == want[c.key] && v.count.Text == plural(want[c.key], "record")
				for _, r := range v.rows {
					ok = ok && r.rec.Category == c.key
				}
			})
			return ok
		})
	}
	if shown != len(want) {
		t.Errorf("%d categories listed, the wallet has records in %d", shown, len(want))
	}

	// Search narrows within the category.
	onUI(func() { v.catList.Select(0) })
	onUI(func() { v.search.SetText("body weight") })
	matching, err := w.List(context.Background(), wallet.Query{Text: "body weight"})
	if err != nil || len(matching) == 0 || len(matching) >= total {
		t.Fatalf("search fixture: %d of %d: %v", len(matching), total, err)
	}
	waitFor(t, "search result", labelIs(u.Window(), plural(len(matching), "record")))
	onUI(func() { v.search.SetText("") })
	waitFor(t, "search cleared", labelIs(u.Window(), strconv.Itoa(total)+" records"))
}

var formattedDate = regexp.MustCompile(`^\d{1,2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4}`)

// formFields are the label/value pairs of the fields shown (form grids).
func formFields(win fyne.Window) map[string]string {
	out := map[string]string{}
	everything(win, func(o fyne.CanvasObject) {
		c, ok := o.(*fyne.Container)
		if !ok || len(c.Objects) < 2 || len(c.Objects)%2 != 0 {
			return
		}
		for i := 0; i+1 < len(c.Objects); i += 2 {
			l, ok1 := c.Objects[i].(*widget.Label)
			val, ok2 := c.Objects[i+1].(*widget.Label)
			if !ok1 || !ok2 || !l.TextStyle.Bold {
				return
			}
			out[l.Text] = val.Text
		}
	})
	return out
}

// bundleWeights counts the body weights in the test bundle, read straight
// from the file.
func bundleWeights(t *testing.T) int {
	t.Helper()
	data, err := os.ReadFile(bundle)
	if err != nil {
		t.Fatal(err)
	}
	var b struct {
		Entry []struct {
			Resource struct {
				ResourceType string
				Code         struct {
					Coding []struct{ System, Code string }
				}
				ValueQuantity *struct{ Value float64 }
			}
		}
	}
	if err := json.Unmarshal(data, &b); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range b.Entry {
		r := e.Resource
		if r.ResourceType == "Observation" && r.ValueQuantity != nil && len(r.Code.Coding) > 0 && r.Code.Coding[0].Code == loincWeight {
			n++
		}
	}
	return n
}

// charts are the trend charts shown.
func charts(win fyne.Window) []*trendChart {
	var out []*trendChart
	everything(win, func(o fyne.CanvasObject) {
		if c, ok := o.(*trendChart); ok {
			out = append(out, c)
		}
	})
	return out
}

// chartMarks counts the points a chart draws.
func chartMarks(c *trendChart) int {
	n := 0
	onUI(func() {
		for _, o := range test.WidgetRenderer(c).Objects() {
			if _, ok := o.(*canvas.Circle); ok {
				n++
			}
		}
	})
	return n
}

func TestRecordView(t *testing.T) {
	dir := recordsWallet(t, bundle)
	u, v := openRecords(t, dir)
	w := u.Wallet()
	ctx := context.Background()

	// A Condition: its fields, by display text, dates formatted.
	conds, err := w.List(ctx, wallet.Query{ResourceType: "Condition"})
	if err != nil || len(conds) == 0 {
		t.Fatalf("no Condition: %v", err)
	}
	_, plain, err := w.Read(ctx, conds[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	var cond struct {
		Code struct {
			Coding []struct{ Display string }
		}
	}
	json.Unmarshal(plain, &cond)
	i := rowIndex(v, conds[0].ID)
	if i < 0 {
		t.Fatal("the Condition is not in the list")
	}
	onUI(func() { v.list.Select(i) })
	waitFor(t, "condition fields", func() bool { return formFields(u.Window())["Condition"] != "" })
	f := formFields(u.Window())
	if c := f["Condition"]; c == "" || strings.HasSuffix(c, ")") || !strings.HasPrefix(cond.Code.Coding[0].Display, c) {
		t.Errorf("Condition shows %q; its code's display is %q", f["Condition"], cond.Code.Coding[0].Display)
	}
	if !formattedDate.MatchString(f["Onset"]) {
		t.Errorf("Onset %q is not a date like 3 Dec 2026", f["Onset"])
	}
	if f["Clinical status"] == "" {
		t.Errorf("no clinical status in %v", f)
	}

	// The raw JSON is one click away.
	jsonShown := func() bool {
		shown := false
		everything(u.Window(), func(o fyne.CanvasObject) {
			if l, ok := o.(*widget.Label); ok && strings.Contains(l.Text, `"resourceType": "Condition"`) && l.Visible() {
				shown = true
			}
		})
		return shown
	}
	if jsonShown() {
		t.Error("the raw JSON is shown before asking")
	}
	tap(t, u.Window(), "Show JSON")
	waitFor(t, "raw JSON", jsonShown)
	tap(t, u.Window(), "Hide JSON")
	waitFor(t, "raw JSON hidden", func() bool { return !jsonShown() })

	// A body weight: value with unit, and the chart of every body weight.
	weights := bundleWeights(t)
	if weights < 2 {
		t.Fatalf("fixture: %d body weights", weights)
	}
	obs, err := w.List(ctx, wallet.Query{ResourceType: "Observation", Text: "body weight"})
	if err != nil || len(obs) == 0 {
		t.Fatalf("no body weight: %v", err)
	}
	onUI(func() { v.list.UnselectAll() })
	i = rowIndex(v, obs[0].ID)
	onUI(func() { v.list.Select(i) })
	waitFor(t, "observation fields", func() bool { return strings.HasSuffix(formFields(u.Window())["Value"], " kg") })
	f = formFields(u.Window())
	if f["Test"] != "Body Weight" || !formattedDate.MatchString(f["Date"]) {
		t.Errorf("observation fields %v", f)
	}
	waitFor(t, "weight chart", func() bool { return len(charts(u.Window())) == 1 })
	if n := chartMarks(charts(u.Window())[0]); n != weights {
		t.Errorf("the chart marks %d body weights, the bundle has %d", n, weights)
	}
	if !hasLabel(u.Window(), func(s string) bool {
		return strings.HasPrefix(s, strconv.Itoa(weights)+" values from ") && strings.HasSuffix(s, "in kg")
	}) {
		t.Error("no summary of the chart's values and unit")
	}

	// Trends lists every measurement with two or more values.
	var trendsAt int
	onUI(func() {
		for k, c := range v.categories {
			if c.key == trendsKey {
				trendsAt = k
			}
		}
		v.catList.Select(trendsAt)
	})
	waitFor(t, "trends", labelHas(u.Window(), "measurements with two or more values"))
	var at = -1
	onUI(func() {
		for k, s := range v.obs.list {
			if s.Code == loincWeight {
				at = k
			}
		}
	})
	if at < 0 {
		t.Fatal("Trends does not list body weight")
	}
	onUI(func() { v.trendList.Select(at) })
	waitFor(t, "trend chart", func() bool {
		c := charts(u.Window())
		return len(c) == 1 && chartMarks(c[0]) == weights
	})
	for _, s := range v.obs.list {
		if s.Len() < 2 {
			t.Errorf("Trends lists %s with %d value", s.Name, s.Len())
		}
	}
}

func TestRecordsImport(t *testing.T) {
	dir := recordsWallet(t)
	u, v := openRecords(t, dir)
	tmp := t.TempDir()
	txt := filepath.Join(tmp, "notes.txt")
	os.WriteFile(txt, []byte("just some notes\n"), 0o600)

	wantBundle := bundleEntries(t, bundle)
	wantDocs := ndjsonLines(t, bulkDocuments)
	onUI(func() { v.importPaths([]string{txt, bundle, bulkDocuments}) })
	waitFor(t, "progress", func() bool {
		moving := false
		everything(u.Window(), func(o fyne.CanvasObject) {
			if b, ok := o.(*widget.ProgressBar); ok && b.Visible() && b.Value > 0 {
				moving = true
			}
		})
		return moving || hasLabel(u.Window(), func(s string) bool { return strings.HasPrefix(s, "Michal_Collier") })
	})
	waitFor(t, "import report", labelHas(u.Window(), filepath.Base(bundle)+": "+thousands(wantBundle)+" new records ("))
	if !hasLabel(u.Window(), func(s string) bool {
		return strings.HasPrefix(s, filepath.Base(bulkDocuments)+": "+thousands(wantDocs)+" new records ("+thousands(wantDocs)+" DocumentReference)")
	}) {
		t.Error("the report does not count the NDJSON file's records")
	}
	if !hasLabel(u.Window(), func(s string) bool {
		return strings.HasPrefix(s, "notes.txt: not imported. "+sentence(wallet.ErrUnsupportedFile))
	}) {
		t.Error("the report does not say why the text file was refused")
	}
	total := wantBundle + wantDocs
	waitFor(t, "summary", labelHas(u.Window(), thousands(total)+" new records added from 2 files."))
	waitFor(t, "list reloaded", labelIs(u.Window(), thousands(total)+" records"))

	// A refused file alone adds nothing.
	before, _ := u.Wallet().Status(context.Background())
	onUI(func() { v.importPaths([]string{txt}) })
	waitFor(t, "refusal", labelHas(u.Window(), "0 new records added from 0 files. 1 file was not imported."))
	after, _ := u.Wallet().Status(context.Background())
	if after.Records != before.Records || after.Records != total {
		t.Errorf("records: %d before, %d after the refused file; want %d", before.Records, after.Records, total)
	}
}

func bundleEntries(t *testing.T, path string) int {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var b struct{ Entry []json.RawMessage }
	if err := json.Unmarshal(data, &b); err != nil {
		t.Fatal(err)
	}
	return len(b.Entry)
}

func ndjsonLines(t *testing.T, path string) int {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, line := range bytes.Split(data, []byte("\n")) {
		if len(bytes.TrimSpace(line)) > 0 {
			n++
		}
	}
	return n
}

func TestRecordsExport(t *testing.T) {
	dir := recordsWallet(t, bundle)
	u, v := openRecords(t, dir)
	w := u.Wallet()
	st, err := w.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()

	path := filepath.Join(out, "records.json")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	onUI(func() { v.exportTo(exportBundle, f, storage.NewFileURI(path)) })
	waitFor(t, "bundle saved", labelHas(u.Window(), "This file is not encrypted"))
	var b struct {
		ResourceType string
		Entry        []json.RawMessage
	}
	data, _ := os.ReadFile(path)
	if err := json.Unmarshal(data, &b); err != nil || b.ResourceType != "Bundle" || len(b.Entry) != st.Records {
		t.Fatalf("exported bundle: %s with %d entries, want %d: %v", b.ResourceType, len(b.Entry), st.Records, err)
	}

	backup := filepath.Join(out, "wallet.car")
	f, err = os.Create(backup)
	if err != nil {
		t.Fatal(err)
	}
	onUI(func() { v.exportTo(exportBackup, f, storage.NewFileURI(backup)) })
	waitFor(t, "backup saved", labelHas(u.Window(), "Your encrypted backup is saved as wallet.car"))
	car, err := os.Open(backup)
	if err != nil {
		t.Fatal(err)
	}
	defer car.Close()
	restored, err := wallet.RestoreBackup(context.Background(), t.TempDir(), w.RecoveryPhrase(), []byte("another passphrase"), car, testOpts, nil)
	if err != nil {
		t.Fatalf("restore the exported backup: %v", err)
	}
	defer restored.Close()
	rst, _ := restored.Status(context.Background())
	if rst.Records != st.Records {
		t.Errorf("the backup restores %d records of %d", rst.Records, st.Records)
	}
	if bytes.Contains(mustRead(t, backup), []byte("Michal")) {
		t.Error("the backup holds the patient's name in clear")
	}
}

func mustRead(t *testing.T, path string) []byte {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestRecordsAttachment(t *testing.T) {
	t.Run("shown", func(t *testing.T) { testAttachment(t, true) })
	t.Run("large", func(t *testing.T) {
		was := maxShownAttachment
		maxShownAttachment = 10
		defer func() { maxShownAttachment = was }()
		testAttachment(t, false)
	})
}

func testAttachment(t *testing.T, inline bool) {
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	img.Set(1, 1, color.RGBA{R: 255, A: 255})
	var pngData bytes.Buffer
	png.Encode(&pngData, img)
	scan := filepath.Join(t.TempDir(), "scan.png")
	os.WriteFile(scan, pngData.Bytes(), 0o600)
	dir := recordsWallet(t, scan)
	u, v := openRecords(t, dir)

	onUI(func() { v.list.Select(0) })
	shown := func() bool {
		found := false
		everything(u.Window(), func(o fyne.CanvasObject) {
			// Icons are images too; the attachment is the big one.
			if img, ok := o.(*canvas.Image); ok && img.MinSize().Width >= 300 {
				found = true
			}
		})
		return found
	}
	if inline {
		waitFor(t, "image shown", shown)
	}
	waitFor(t, "save button", func() bool { return findButton(u.Window(), "Save as…") != nil })
	tap(t, u.Window(), "Open")
	waitFor(t, "opened", labelHas(u.Window(), "Opened a temporary copy of scan.png"))
	if !inline && shown() {
		t.Error("a file over the limit is shown inline")
	}
	var tmpDir string
	onUI(func() {
		d, _ := sessionTempDirs.Load(u.session())
		tmpDir, _ = d.(string)
	})
	fi, err := os.Stat(tmpDir)
	if err != nil {
		t.Fatalf("temporary directory %q: %v", tmpDir, err)
	}
	if fi.Mode().Perm() != 0o700 {
		t.Errorf("temporary directory %q is %v, want 0700", tmpDir, fi.Mode())
	}
	copied, err := os.ReadFile(filepath.Join(tmpDir, "scan.png"))
	if err != nil || !bytes.Equal(copied, pngData.Bytes()) {
		t.Fatalf("temporary copy: %v", err)
	}
	onUI(u.lock)
	waitFor(t, "unlock screen", func() bool { return findButton(u.Window(), "Unlock") != nil })
	if _, err := os.Stat(tmpDir); !os.IsNotExist(err) {
		t.Errorf("the temporary copy outlives the lock: %v", err)
	}
}

func TestRecordsImportFolder(t *testing.T) {
	dir := recordsWallet(t)
	u, v := openRecords(t, dir)
	folder := t.TempDir()
	copyFile(t, bulkConditions, filepath.Join(folder, "conditions.ndjson"))
	copyFile(t, bundle, filepath.Join(folder, "sub", "bundle.json"))
	os.WriteFile(filepath.Join(folder, "README.txt"), []byte("not a record"), 0o600) // not a record's kind: skipped
	os.WriteFile(filepath.Join(folder, "broken.json"), []byte(`{"resourceType":"Observation",`), 0o600)
	os.WriteFile(filepath.Join(folder, "typo.json"), []byte(`{"resourceType":"Observaton"}`), 0o600)
	copyFile(t, bundle, filepath.Join(folder, ".hidden.json")) // skipped

	onUI(func() { v.importPaths([]string{folder}) })
	want := ndjsonLines(t, bulkConditions) + bundleEntries(t, bundle)
	waitFor(t, "folder report", labelHas(u.Window(), strconv.Itoa(want)+" new records added from 2 files. 2 files were not imported."))
	for _, name := range []string{"conditions.ndjson: ", "bundle.json: ",
		"broken.json: not imported. The file is not valid JSON", "typo.json: not imported. The file is not FHIR R4 that Health Wallet can read"} {
		if !hasLabel(u.Window(), func(s string) bool { return strings.HasPrefix(s, name) }) {
			t.Errorf("the report has no line for %s", name)
		}
	}
	if hasLabel(u.Window(), func(s string) bool { return strings.HasPrefix(s, ".hidden.json") || strings.HasPrefix(s, "README.txt") }) {
		t.Error("a hidden file or a text file from the folder was tried")
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	os.MkdirAll(filepath.Dir(to), 0o700)
	if err := os.WriteFile(to, mustRead(t, from), 0o600); err != nil {
		t.Fatal(err)
	}
}

// Cancel leaves the cancelled file out entirely (or, if the import won the
// race, in entirely), and the report says so.
func TestRecordsImportCancel(t *testing.T) {
	dir := recordsWallet(t)
	u, v := openRecords(t, dir)
	onUI(func() { v.importPaths([]string{bulkDocuments}) })
	tap(t, u.Window(), "Cancel")
	waitFor(t, "report", labelHas(u.Window(), "added from"))
	st, err := u.Wallet().Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	switch st.Records {
	case 0:
		if !hasLabel(u.Window(), func(s string) bool { return strings.Contains(s, "not imported (cancelled)") }) {
			t.Error("the report does not say the file was cancelled")
		}
	case ndjsonLines(t, bulkDocuments):
	default:
		t.Errorf("a cancelled import kept %d records of a file", st.Records)
	}
}

// Files dropped on the window are imported (the test driver cannot drop,
// so the handler is called as the driver would).
func TestRecordsDrop(t *testing.T) {
	dir := recordsWallet(t)
	u, v := openRecords(t, dir)
	web, _ := storage.ParseURI("https://example.com/record.json")
	onUI(func() {
		v.dropped(fyne.NewPos(10, 10), []fyne.URI{web, storage.NewFileURI(bulkConditions)})
	})
	want := ndjsonLines(t, bulkConditions)
	waitFor(t, "drop report", labelHas(u.Window(), strconv.Itoa(want)+" new records added from 1 file."))
	waitFor(t, "list reloaded", labelIs(u.Window(), strconv.Itoa(want)+" records"))
}
