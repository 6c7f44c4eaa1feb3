package app

import (
	"fmt"
	"image/color"
	"math"
	"slices"
	"strconv"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/healthwallet/healthwallet/wallet"
)

// buildTrendsPanel is the Trends list: every kind of observation with two
// or more values; choosing one shows its chart.
func (v *recordsView) buildTrendsPanel() *fyne.Container {
	v.trendNote = widget.NewLabel("")
	v.trendNote.Wrapping = fyne.TextWrapWord
	v.trendList = widget.NewList(
		func() int { return len(v.obs.list) },
		func() fyne.CanvasObject {
			name := widget.NewLabel("name")
			name.Truncation = fyne.TextTruncateEllipsis
			sub := widget.NewLabelWithStyle("values", fyne.TextAlignLeading, fyne.TextStyle{Italic: true})
			sub.Truncation = fyne.TextTruncateEllipsis
			return container.NewVBox(name, sub)
		},
		func(i widget.ListItemID, o fyne.CanvasObject) {
			if i >= len(v.obs.list) {
				return
			}
			s := v.obs.list[i]
			box := o.(*fyne.Container)
			box.Objects[0].(*widget.Label).SetText(s.Name)
			box.Objects[1].(*widget.Label).SetText(seriesSummary(s))
		},
	)
	v.trendList.OnSelected = func(i widget.ListItemID) {
		if i < len(v.obs.list) {
			v.detailGen++
			v.setDetail(container.NewVScroll(v.u.chartView(v.obs.list[i], "")))
		}
	}
	return container.NewBorder(v.trendNote, nil, nil, nil, v.trendList)
}

// loadTrends fills the Trends list (computing the series the first time).
func (v *recordsView) loadTrends() {
	v.trendNote.SetText("Reading your observations…")
	v.trendList.UnselectAll()
	v.obs.get(func(_ map[string]wallet.Series, err error) {
		switch {
		case err != nil:
			v.trendNote.SetText("Your observations could not be read. " + sentence(err))
		case len(v.obs.list) == 0:
			v.trendNote.SetText("No measurement has been taken twice yet. Trends appear here once a measurement (such as weight or blood pressure) has two or more values.")
		default:
			v.trendNote.SetText(fmt.Sprintf("%d measurements with two or more values. Choose one to see its chart.", len(v.obs.list)))
		}
		v.trendList.Refresh()
	})
}

// seriesSummary is "12 values · Dec 2009 to Apr 2019".
func seriesSummary(s wallet.Series) string {
	first, last := s.Span()
	return fmt.Sprintf("%d values · %s to %s", s.Len(), first.Local().Format("Jan 2006"), last.Local().Format("Jan 2006"))
}

// chartView shows a series: its name, the chart, and the values in words
// (for reading exact numbers, and for screen readers). highlight is a
// record whose point is marked, or "".
func (u *UI) chartView(s wallet.Series, highlight string) fyne.CanvasObject {
	title := widget.NewLabelWithStyle(s.Name, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	title.Wrapping = fyne.TextWrapWord
	first, last := s.Span()
	about := fmt.Sprintf("%d values from %s to %s", s.Len(), first.Local().Format("2 Jan 2006"), last.Local().Format("2 Jan 2006"))
	if s.Unit != "" {
		about += ", in " + s.Unit
	}
	info := widget.NewLabel(about)
	info.Wrapping = fyne.TextWrapWord
	values := widget.NewAccordion(widget.NewAccordionItem("Values", seriesTable(s)))
	return container.NewVBox(title, newTrendChart(s, highlight), info, values, widget.NewSeparator())
}

// seriesTable lists the values, newest first.
func seriesTable(s wallet.Series) fyne.CanvasObject {
	grid := container.New(layout.NewFormLayout())
	type row struct {
		t    time.Time
		text string
	}
	var rows []row
	for _, l := range s.Lines {
		for _, p := range l.Points {
			text := formatValue(p.Value) + unitSuffix(s.Unit)
			if len(s.Lines) > 1 {
				text = l.Name + ": " + text
			}
			rows = append(rows, row{p.Time, text})
		}
	}
	// Newest first; lines of one observation stay together.
	slices.SortStableFunc(rows, func(a, b row) int { return b.t.Compare(a.t) })
	const maxRows = 300
	for i, r := range rows {
		if i == maxRows {
			grid.Add(widget.NewLabel(""))
			grid.Add(widget.NewLabel(fmt.Sprintf("and %d older values", len(rows)-maxRows)))
			break
		}
		grid.Add(widget.NewLabel(r.t.Local().Format("2 Jan 2006")))
		grid.Add(widget.NewLabel(r.text))
	}
	return grid
}

func unitSuffix(unit string) string {
	switch unit {
	case "":
		return ""
	case "%":
		return "%"
	}
	return " " + unit
}

// formatValue writes a value with at most four significant digits.
func formatValue(v float64) string {
	a := math.Abs(v)
	switch {
	case a >= 1000 || a == 0:
		return strconv.FormatFloat(math.Round(v), 'f', -1, 64)
	case a >= 100:
		return strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64)
	case a >= 10:
		return strconv.FormatFloat(math.Round(v*100)/100, 'f', -1, 64)
	}
	return strconv.FormatFloat(v, 'g', 3, 64)
}

// trendChart draws a series as lines over time, with a value axis in the
// series' unit and the date range below, in the theme's colours.
type trendChart struct {
	widget.BaseWidget
	series    wallet.Series
	highlight string
}

func newTrendChart(s wallet.Series, highlight string) *trendChart {
	c := &trendChart{series: s, highlight: highlight}
	c.ExtendBaseWidget(c)
	return c
}

func (c *trendChart) CreateRenderer() fyne.WidgetRenderer {
	r := &chartRenderer{c: c}
	r.build()
	return r
}

const (
	chartTicks   = 4
	chartMarkDia = 7
)

type chartLine struct {
	segments []*canvas.Line
	marks    []*canvas.Circle
	legend   *canvas.Text
	swatch   *canvas.Rectangle
}

type chartRenderer struct {
	c          *trendChart
	lo, hi     float64 // value axis
	t0, t1     time.Time
	grid       []*canvas.Line
	tickLabels []*canvas.Text
	unit       *canvas.Text
	dates      []*canvas.Text
	axis       *canvas.Line
	lines      []chartLine
	objects    []fyne.CanvasObject
}

func (r *chartRenderer) build() {
	s := r.c.series
	r.lo, r.hi = math.Inf(1), math.Inf(-1)
	r.t0, r.t1 = s.Span()
	for _, l := range s.Lines {
		for _, p := range l.Points {
			r.lo, r.hi = math.Min(r.lo, p.Value), math.Max(r.hi, p.Value)
		}
	}
	if math.IsInf(r.lo, 0) {
		r.lo, r.hi = 0, 1
	}
	r.lo, r.hi = niceRange(r.lo, r.hi)
	if !r.t1.After(r.t0) {
		r.t0, r.t1 = r.t0.Add(-24*time.Hour), r.t1.Add(24*time.Hour)
	}
	for range chartTicks + 1 {
		g := canvas.NewLine(color.Transparent)
		r.grid = append(r.grid, g)
		t := canvas.NewText("", color.Transparent)
		t.Alignment = fyne.TextAlignTrailing
		r.tickLabels = append(r.tickLabels, t)
		r.objects = append(r.objects, g, t)
	}
	for i := range chartTicks + 1 {
		r.tickLabels[i].Text = formatValue(r.lo + (r.hi-r.lo)*float64(i)/chartTicks)
	}
	r.axis = canvas.NewLine(color.Transparent)
	r.unit = canvas.NewText(s.Unit, color.Transparent)
	r.objects = append(r.objects, r.axis, r.unit)
	for _, d := range dateTicks(r.t0, r.t1) {
		t := canvas.NewText(d, color.Transparent)
		r.dates = append(r.dates, t)
		r.objects = append(r.objects, t)
	}
	for _, l := range s.Lines {
		var cl chartLine
		for i := range l.Points {
			if i > 0 {
				seg := canvas.NewLine(color.Transparent)
				seg.StrokeWidth = 2
				cl.segments = append(cl.segments, seg)
				r.objects = append(r.objects, seg)
			}
		}
		for _, p := range l.Points {
			m := canvas.NewCircle(color.Transparent)
			if p.RecordID == r.c.highlight && r.c.highlight != "" {
				m.StrokeWidth = 3
			}
			cl.marks = append(cl.marks, m)
			r.objects = append(r.objects, m)
		}
		if len(s.Lines) > 1 {
			cl.legend = canvas.NewText(l.Name, color.Transparent)
			cl.swatch = canvas.NewRectangle(color.Transparent)
			r.objects = append(r.objects, cl.swatch, cl.legend)
		}
		r.lines = append(r.lines, cl)
	}
	r.applyTheme()
}

// niceRange widens [lo, hi] to round tick values.
func niceRange(lo, hi float64) (float64, float64) {
	if hi-lo < 1e-9 {
		pad := math.Max(math.Abs(lo)*0.1, 1)
		lo, hi = lo-pad, hi+pad
	}
	step := niceStep((hi - lo) / chartTicks)
	for range 8 {
		start := math.Floor(lo/step) * step
		if start+step*chartTicks >= hi {
			return start, start + step*chartTicks
		}
		step = niceStep(step * 1.01) // flooring the start left the top short
	}
	return lo, hi
}

func niceStep(raw float64) float64 {
	exp := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*exp >= raw {
			return m * exp
		}
	}
	return 10 * exp
}

// dateTicks labels the time axis: its ends, and the middle when the range
// is long enough to tell them apart.
func dateTicks(t0, t1 time.Time) []string {
	layout := "2 Jan 2006"
	if t1.Sub(t0) > 2*365*24*time.Hour {
		layout = "Jan 2006"
	}
	mid := t0.Add(t1.Sub(t0) / 2)
	return []string{t0.Local().Format(layout), mid.Local().Format(layout), t1.Local().Format(layout)}
}

func lineColor(i int) color.Color {
	names := []fyne.ThemeColorName{theme.ColorNamePrimary, theme.ColorNameError, theme.ColorNameSuccess, theme.ColorNameWarning}
	return theme.Color(names[i%len(names)])
}

func (r *chartRenderer) applyTheme() {
	fg := theme.Color(theme.ColorNameForeground)
	grid := theme.Color(theme.ColorNameSeparator)
	small := theme.CaptionTextSize()
	for _, g := range r.grid {
		g.StrokeColor = grid
		g.StrokeWidth = 1
	}
	for _, t := range append(append(r.tickLabels, r.unit), r.dates...) {
		t.Color = fg
		t.TextSize = small
	}
	r.axis.StrokeColor = fg
	r.axis.StrokeWidth = 1
	bg := theme.Color(theme.ColorNameBackground)
	for i, l := range r.lines {
		col := lineColor(i)
		for _, s := range l.segments {
			s.StrokeColor = col
		}
		for _, m := range l.marks {
			m.FillColor = col
			m.StrokeColor = bg
			if m.StrokeWidth >= 3 {
				m.StrokeColor = fg
			}
		}
		if l.legend != nil {
			l.legend.Color = fg
			l.legend.TextSize = small
			l.swatch.FillColor = col
		}
	}
}

func (r *chartRenderer) MinSize() fyne.Size { return fyne.NewSize(320, 240) }

func (r *chartRenderer) Layout(size fyne.Size) {
	pad := theme.Padding()
	small := theme.CaptionTextSize()
	labelW := float32(0)
	for _, t := range r.tickLabels {
		labelW = max(labelW, t.MinSize().Width)
	}
	labelW = max(labelW, r.unit.MinSize().Width)
	legendH := float32(0)
	if len(r.lines) > 1 {
		legendH = small + 2*pad
	}
	// The end dates are centred under the ends of the time axis: leave
	// room for half of each.
	halfDate := float32(0)
	for _, d := range r.dates {
		halfDate = max(halfDate, d.MinSize().Width/2)
	}
	left := max(labelW+2*pad, halfDate)
	top := small + 2*pad // room for the unit
	// A scroll bar may lie over the right edge.
	edge := size.Width - theme.ScrollBarSize()
	right := edge - max(2*pad, halfDate+pad)
	bottom := size.Height - legendH - small - 3*pad
	if right <= left || bottom <= top {
		return
	}
	r.unit.Move(fyne.NewPos(pad, 0))
	r.unit.Resize(r.unit.MinSize())
	y := func(v float64) float32 {
		return bottom - float32((v-r.lo)/(r.hi-r.lo))*(bottom-top)
	}
	span := r.t1.Sub(r.t0).Seconds()
	x := func(t time.Time) float32 {
		return left + float32(t.Sub(r.t0).Seconds()/span)*(right-left)
	}
	for i, g := range r.grid {
		gy := y(r.lo + (r.hi-r.lo)*float64(i)/chartTicks)
		g.Position1, g.Position2 = fyne.NewPos(left, gy), fyne.NewPos(right, gy)
		l := r.tickLabels[i]
		ms := l.MinSize()
		l.Resize(fyne.NewSize(labelW, ms.Height))
		l.Move(fyne.NewPos(pad, gy-ms.Height/2))
	}
	r.axis.Position1, r.axis.Position2 = fyne.NewPos(left, top), fyne.NewPos(left, bottom)
	for i, d := range r.dates {
		ms := d.MinSize()
		dx := left + (right-left)*float32(i)/float32(len(r.dates)-1) - ms.Width/2
		dx = min(max(dx, 0), edge-ms.Width)
		d.Move(fyne.NewPos(dx, bottom+pad))
		d.Resize(ms)
	}
	lx := left
	for li, l := range r.lines {
		pts := r.c.series.Lines[li].Points
		for i, p := range pts {
			px, py := x(p.Time), y(p.Value)
			if i > 0 {
				s := l.segments[i-1]
				s.Position1 = fyne.NewPos(x(pts[i-1].Time), y(pts[i-1].Value))
				s.Position2 = fyne.NewPos(px, py)
			}
			m := l.marks[i]
			m.Move(fyne.NewPos(px-chartMarkDia/2, py-chartMarkDia/2))
			m.Resize(fyne.NewSize(chartMarkDia, chartMarkDia))
		}
		if l.legend != nil {
			ly := size.Height - legendH + pad
			l.swatch.Move(fyne.NewPos(lx, ly+small/4))
			l.swatch.Resize(fyne.NewSize(small, small/2))
			l.legend.Move(fyne.NewPos(lx+small+pad, ly-small/4))
			l.legend.Resize(l.legend.MinSize())
			lx += small + 3*pad + l.legend.MinSize().Width
		}
	}
}

func (r *chartRenderer) Refresh() {
	r.applyTheme()
	r.Layout(r.c.Size())
	for _, o := range r.objects {
		o.Refresh()
	}
}

func (r *chartRenderer) Objects() []fyne.CanvasObject { return r.objects }

func (r *chartRenderer) Destroy() {}
