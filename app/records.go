package app

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/healthwallet/healthwallet/wallet"
	"github.com/healthwallet/healthwallet/wallet/fhir"
)

// maxShownAttachment is the largest file read into memory to be shown;
// larger ones are opened or saved straight from the wallet.
var maxShownAttachment int64 = 32 << 20

// searchDelay lets a typist finish a word before the wallet is searched.
const searchDelay = 150 * time.Millisecond

// recordsView is the patient's main screen: categories with counts, the
// records of the chosen one, and the selected record. Every field is
// touched on the UI goroutine only; wallet calls run in goroutines and
// report back through u.do.
type recordsView struct {
	u    *UI
	w    *wallet.Wallet // the session's wallet when the screen was built
	sess *session

	categories []categoryEntry
	catList    *widget.List
	category   string // selected category key; "" is every record

	search      *widget.Entry
	searchTimer *time.Timer
	count       *widget.Label
	rows        []recordRow
	list        *widget.List
	listGen     int // the newest load; older results are dropped
	loaded      bool

	trendsPanel *fyne.Container // the Trends list, in place of the records
	recordPanel *fyne.Container
	trendList   *widget.List
	trendNote   *widget.Label

	detail    *fyne.Container
	detailGen int

	obs observationCache
}

// recordRow is a record with its list texts computed once per load, so
// painting a row does no work beyond setting two labels.
type recordRow struct {
	rec      wallet.Record
	title    string
	subtitle string
}

// categoryEntry is one line of the category list.
type categoryEntry struct {
	key   string // catalog category; "" for all records; trendsKey for Trends
	name  string
	count int // -1: not a count of records
}

const trendsKey = "\x00trends"

// categoryNames are the catalog's categories as a patient reads them.
var categoryNames = map[string]string{
	fhir.CategoryPatient:       "About you",
	fhir.CategoryConditions:    "Conditions",
	fhir.CategoryMedications:   "Medications",
	fhir.CategoryAllergies:     "Allergies",
	fhir.CategoryObservations:  "Labs and vitals",
	fhir.CategoryImmunizations: "Immunizations",
	fhir.CategoryProcedures:    "Procedures",
	fhir.CategoryEncounters:    "Visits",
	fhir.CategoryDocuments:     "Documents",
	fhir.CategoryCarePlans:     "Care plans",
	fhir.CategoryCareTeam:      "Care team",
	fhir.CategoryDevices:       "Devices",
	fhir.CategoryBilling:       "Billing",
	fhir.CategoryOther:         "Other",
}

func categoryName(key string) string {
	if n, ok := categoryNames[key]; ok {
		return n
	}
	return key
}

// recordsScreen is the Records section.
func (u *UI) recordsScreen() fyne.CanvasObject {
	v := &recordsView{u: u, w: u.Wallet(), sess: u.session()}
	v.obs.v = v

	v.search = widget.NewEntry()
	v.search.SetPlaceHolder("Search records")
	v.search.OnChanged = v.searchChanged
	v.count = widget.NewLabel("")

	v.categories = []categoryEntry{{key: "", name: "All records", count: -1}, {key: trendsKey, name: "Trends", count: -1}}
	v.catList = widget.NewList(
		func() int { return len(v.categories) },
		func() fyne.CanvasObject {
			name := widget.NewLabel("Labs and vitals")
			name.Truncation = fyne.TextTruncateEllipsis
			return container.NewBorder(nil, nil, nil, widget.NewLabel("10000"), name)
		},
		func(i widget.ListItemID, o fyne.CanvasObject) {
			if i >= len(v.categories) {
				return
			}
			c := v.categories[i]
			box := o.(*fyne.Container)
			box.Objects[0].(*widget.Label).SetText(c.name)
			n := ""
			if c.count >= 0 {
				n = fmt.Sprint(c.count)
			}
			box.Objects[1].(*widget.Label).SetText(n)
		},
	)
	v.catList.OnSelected = func(i widget.ListItemID) {
		if i < len(v.categories) {
			v.selectCategory(v.categories[i].key)
		}
	}

	v.list = widget.NewList(
		func() int { return len(v.rows) },
		func() fyne.CanvasObject {
			title := widget.NewLabel("title")
			sub := widget.NewLabelWithStyle("type · date", fyne.TextAlignLeading, fyne.TextStyle{Italic: true})
			return container.NewVBox(title, sub)
		},
		func(i widget.ListItemID, o fyne.CanvasObject) {
			if i >= len(v.rows) {
				return
			}
			box := o.(*fyne.Container)
			box.Objects[0].(*widget.Label).SetText(v.rows[i].title)
			box.Objects[1].(*widget.Label).SetText(v.rows[i].subtitle)
		},
	)
	v.list.OnSelected = func(i widget.ListItemID) {
		if i < len(v.rows) {
			v.show(v.rows[i].rec)
		}
	}
	v.recordPanel = container.NewBorder(v.count, nil, nil, nil, v.list)
	v.trendsPanel = v.buildTrendsPanel()
	v.trendsPanel.Hide()

	v.detail = container.NewStack(v.placeholder("Choose a record to read it."))

	toolbar := container.NewBorder(nil, nil, nil,
		container.NewHBox(
			widget.NewButtonWithIcon("Import…", theme.ContentAddIcon(), v.importDialog),
			widget.NewButtonWithIcon("Export…", theme.DocumentSaveIcon(), v.exportDialog),
		),
		v.search)
	cats := container.New(fixedWidth(190), v.catList)
	left := container.NewBorder(nil, nil, cats, nil, container.NewStack(v.recordPanel, v.trendsPanel))
	split := container.NewHSplit(left, v.detail)
	split.Offset = 0.55
	v.watchDrops()
	// Ctrl+F (Cmd+F) finds, as everywhere else.
	v.u.win.Canvas().AddShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyF, Modifier: fyne.KeyModifierShortcutDefault},
		func(fyne.Shortcut) {
			if v.u.Wallet() == v.w && v.search.Visible() && !v.search.Disabled() {
				v.u.win.Canvas().Focus(v.search)
			}
		})
	v.catList.Select(0)
	return newRecordsRoot(v, container.NewBorder(toolbar, nil, nil, nil, split))
}

func (v *recordsView) placeholder(text string) fyne.CanvasObject {
	l := widget.NewLabel(text)
	l.Wrapping = fyne.TextWrapWord
	l.Alignment = fyne.TextAlignCenter
	return container.NewVBox(l)
}

func (v *recordsView) searchChanged(string) {
	if v.searchTimer != nil {
		v.searchTimer.Stop()
	}
	v.searchTimer = time.AfterFunc(searchDelay, func() { v.u.do(v.load) })
}

func (v *recordsView) selectCategory(key string) {
	v.category = key
	if key == trendsKey {
		v.recordPanel.Hide()
		v.trendsPanel.Show()
		v.search.Disable()
		v.loadTrends()
		return
	}
	v.trendsPanel.Hide()
	v.recordPanel.Show()
	v.search.Enable()
	v.load()
}

// load lists the records of the chosen category matching the search, and
// the counts per category, off the UI goroutine.
func (v *recordsView) load() {
	if v.category == trendsKey || v.u.Wallet() != v.w || v.w == nil {
		return
	}
	v.listGen++
	gen := v.listGen
	q := wallet.Query{Category: v.category, Text: strings.TrimSpace(v.search.Text)}
	w, ctx := v.w, v.sess.ctx
	v.u.background(func() {
		recs, err := w.List(ctx, q)
		var counts map[string]int
		if err == nil {
			counts, err = w.Counts(ctx)
		}
		rows := make([]recordRow, len(recs))
		for i, r := range recs {
			rows[i] = recordRow{rec: r, title: shortTitle(r.Title), subtitle: subtitle(r)}
		}
		v.u.do(func() {
			if gen != v.listGen || ctx.Err() != nil {
				return
			}
			if err != nil {
				v.u.showError("Could not list your records", err)
				return
			}
			v.rows = rows
			v.count.SetText(plural(len(rows), "record"))
			v.setCounts(counts)
			v.list.UnselectAll()
			v.list.ScrollToTop()
			v.list.Refresh()
			if !v.loaded {
				v.loaded = true
				v.u.ready()
			}
		})
	})
}

// rowTitleRunes bounds a row's title. Rows do not truncate to their width
// (measuring text for an ellipsis on every scroll made scrolling 17 times
// slower); the list clips what is wider.
const rowTitleRunes = 90

func shortTitle(s string) string {
	if utf8.RuneCountInString(s) <= rowTitleRunes {
		return s
	}
	return string([]rune(s)[:rowTitleRunes-1]) + "…"
}

// setCounts rebuilds the category list from the counts per resource type:
// every category that holds a record, in the catalog's order.
func (v *recordsView) setCounts(byType map[string]int) {
	byCat := map[string]int{}
	total := 0
	for typ, n := range byType {
		byCat[fhir.CategoryOf(typ)] += n
		total += n
	}
	cats := []categoryEntry{{key: "", name: "All records", count: total}}
	for _, c := range fhir.Categories() {
		if byCat[c] > 0 || c == v.category {
			cats = append(cats, categoryEntry{key: c, name: categoryName(c), count: byCat[c]})
		}
	}
	cats = append(cats, categoryEntry{key: trendsKey, name: "Trends", count: -1})
	v.categories = cats
	v.catList.Refresh()
	for i, c := range cats {
		if c.key == v.category {
			// Select fires OnSelected only on a change of index.
			onSel := v.catList.OnSelected
			v.catList.OnSelected = nil
			v.catList.Select(i)
			v.catList.OnSelected = onSel
		}
	}
}

func subtitle(r wallet.Record) string {
	s := r.ResourceType
	if r.Kind == wallet.KindAttachment {
		s = attachmentKind(r.ContentType)
	}
	if !r.Date.IsZero() {
		s += " · " + r.Date.Local().Format("2 Jan 2006")
	}
	return s
}

// attachmentKind names a file type for a person.
func attachmentKind(contentType string) string {
	switch {
	case contentType == "application/pdf":
		return "PDF document"
	case strings.HasPrefix(contentType, "image/"):
		return "Image"
	case strings.HasPrefix(contentType, "text/"):
		return "Text file"
	}
	return "File"
}

// show reads one record and shows it: its fields, for an Observation with
// a value its trend, and for a file the file.
func (v *recordsView) show(r wallet.Record) {
	v.detailGen++
	gen := v.detailGen
	w, ctx := v.w, v.sess.ctx
	if r.Kind == wallet.KindAttachment && r.Size > maxShownAttachment {
		v.setDetail(container.NewVScroll(container.NewVBox(v.recordHeader(r), v.largeAttachmentView(r))))
		return
	}
	v.u.background(func() {
		_, plain, err := w.Read(ctx, r.ID)
		code, charted := "", false
		if err == nil && r.Kind == wallet.KindFHIR && r.ResourceType == "Observation" {
			code, charted = wallet.SeriesCode(plain)
		}
		v.u.do(func() {
			if gen != v.detailGen {
				return
			}
			if err != nil {
				v.setDetail(v.placeholder("This record could not be read. " + sentence(err)))
				return
			}
			head := v.recordHeader(r)
			var body fyne.CanvasObject
			if r.Kind == wallet.KindAttachment {
				body = v.u.attachmentView(attachmentName(r), r.ContentType, plain)
			} else {
				body = v.u.fhirView(r.ResourceType, plain)
			}
			page := container.NewVBox(head, body)
			scroll := container.NewVScroll(page)
			v.setDetail(scroll)
			if charted {
				v.obs.get(func(all map[string]wallet.Series, err error) {
					if gen != v.detailGen || err != nil {
						return
					}
					if s, ok := all[code]; ok {
						page.Objects = []fyne.CanvasObject{head, v.u.chartView(s, r.ID), body}
						page.Refresh()
						scroll.Refresh()
					}
				})
			}
		})
	})
}

func (v *recordsView) setDetail(o fyne.CanvasObject) {
	v.detail.Objects = []fyne.CanvasObject{o}
	v.detail.Refresh()
}

func (v *recordsView) recordHeader(r wallet.Record) fyne.CanvasObject {
	title := widget.NewLabelWithStyle(r.Title, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	title.Wrapping = fyne.TextWrapWord
	about := subtitle(r)
	if r.Source != "" {
		about += " · from " + r.Source
	}
	sub := widget.NewLabel(about)
	sub.Wrapping = fyne.TextWrapWord
	return container.NewVBox(title, sub)
}

// attachmentName is a file name for a file record: its title, with an
// extension its type calls for.
func attachmentName(r wallet.Record) string {
	name := r.Title
	if name == "" {
		name = "record-" + r.ID
	}
	ext := map[string]string{"application/pdf": ".pdf", "image/png": ".png", "image/jpeg": ".jpg", "image/gif": ".gif",
		"image/webp": ".webp", "image/tiff": ".tiff", "image/bmp": ".bmp", "text/plain": ".txt"}[r.ContentType]
	if ext != "" && !strings.HasSuffix(strings.ToLower(name), ext) {
		name += ext
	}
	return name
}

// changed reloads what an import changed.
func (v *recordsView) changed() {
	v.obs.invalidate()
	if v.category == trendsKey {
		v.loadTrends()
		return
	}
	v.load()
}

// observationCache holds the wallet's observation series in memory (never
// on disk) once computed, for charts and Trends; an import drops it.
type observationCache struct {
	v       *recordsView
	series  map[string]wallet.Series
	list    []wallet.Series
	gen     int
	waiting []func(map[string]wallet.Series, error)
}

// get calls f (on the UI goroutine) with every series of two or more
// values, computing them once.
func (c *observationCache) get(f func(map[string]wallet.Series, error)) {
	if c.series != nil {
		f(c.series, nil)
		return
	}
	c.waiting = append(c.waiting, f)
	if len(c.waiting) > 1 {
		return // already computing
	}
	gen := c.gen
	w, ctx := c.v.w, c.v.sess.ctx
	go func() {
		list, err := w.ObservationTrends(ctx)
		c.v.u.do(func() {
			if gen != c.gen {
				return // an import made it stale; invalidate restarted the waiters
			}
			waiting := c.waiting
			c.waiting = nil
			all := map[string]wallet.Series{}
			if err == nil {
				for _, s := range list {
					all[s.Code] = s
				}
				c.series, c.list = all, list
			}
			for _, f := range waiting {
				f(all, err)
			}
		})
	}()
}

func (c *observationCache) invalidate() {
	c.gen++
	c.series, c.list = nil, nil
	waiting := c.waiting
	c.waiting = nil
	for _, f := range waiting {
		c.get(f)
	}
}

// recordsRoot is the Records section's root: its view is reachable from
// the widget tree (tests drive imports and exports through it).
type recordsRoot struct {
	widget.BaseWidget
	v       *recordsView
	content fyne.CanvasObject
}

func newRecordsRoot(v *recordsView, content fyne.CanvasObject) *recordsRoot {
	s := &recordsRoot{v: v, content: content}
	s.ExtendBaseWidget(s)
	return s
}

func (s *recordsRoot) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(s.content)
}

// fixedWidth lays out its objects at a set width and their full height.
type fixedWidth float32

func (f fixedWidth) MinSize(objs []fyne.CanvasObject) fyne.Size {
	h := float32(0)
	for _, o := range objs {
		h = max(h, o.MinSize().Height)
	}
	return fyne.NewSize(float32(f), h)
}

func (f fixedWidth) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	for _, o := range objs {
		o.Move(fyne.NewPos(0, 0))
		o.Resize(size)
	}
}
