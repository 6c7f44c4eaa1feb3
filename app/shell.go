package app

import (
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"

	"github.com/healthwallet/healthwallet/chain"
	"github.com/healthwallet/healthwallet/chain/state"
)

// section is one entry of the main window's navigation.
type section struct {
	name  string
	icon  fyne.Resource
	build func() fyne.CanvasObject
}

// mainView is the unlocked window's frame: navigation on the left, the
// chosen section, and the status bar.
type mainView struct {
	u        *UI
	tabs     *container.AppTabs
	sections []section
	built    []bool
	status   *statusBar
	roles    string // the role set the tabs were built for
	// org is the wallet's registration as a supply-chain organisation
	// (orgOK false: none), read from the chain with the roles.
	org   state.Org
	orgOK bool
	// counts are the sections' badges, kept across a rebuild of the tabs.
	counts map[string]int
	// pendingShow is a section asked for before the wallet's roles were
	// known (Config.Show); shown once it exists.
	pendingShow string
}

// sections are the screens this wallet's roles call for: every wallet is a
// patient's; a registered clinician also gets Patients; a valid prescriber
// licence gives Prescribe and a valid pharmacist licence Pharmacy;
// clinicians, licensing authorities and clinics get Credentials; a clinic
// (a signer, or anyone who turned on the clinic tools) gets Clinic, and a
// signer its Staffing. Every wallet on a network gets Medicines (its
// prescriptions, a pack check and recall alerts); a registered pharmacy
// organisation gets Packs (the pack scan), a manufacturer or wholesaler
// Supply.
func (u *UI) sections(v chainView, org state.Org, orgOK bool) []section {
	r := v.Roles
	s := []section{
		{"Records", theme.DocumentIcon(), u.recordsScreen},
		{"Sharing", theme.MailComposeIcon(), u.sharingScreen},
		{"Activity", theme.HistoryIcon(), u.activityScreen},
		{"My ID", theme.AccountIcon(), u.myIDScreen},
	}
	if v.Joined {
		s = append(s, section{"Medicines", theme.ListIcon(), u.medicinesScreen})
	}
	if r.Clinician != nil {
		s = append(s, section{"Patients", theme.SearchIcon(), u.patientsScreen})
	}
	if r.Licences.Has(chain.KindPrescriber) {
		s = append(s, section{"Prescribe", theme.DocumentCreateIcon(), u.prescribeScreen})
	}
	if r.Licences.Has(chain.KindPharmacist) {
		s = append(s, section{"Pharmacy", theme.ConfirmIcon(), u.pharmacyScreen})
	}
	if orgOK && org.Role == chain.OrgPharmacy {
		s = append(s, section{"Packs", theme.SearchIcon(), u.packsScreen})
	}
	if orgOK && (org.Role == chain.OrgManufacturer || org.Role == chain.OrgWholesaler) {
		s = append(s, section{"Supply", theme.StorageIcon(), u.supplyScreen})
	}
	if r.Clinician != nil || r.Licences != 0 || r.Authority != nil || r.Signer || u.clinicTools() {
		s = append(s, section{"Credentials", theme.FileTextIcon(), u.credentialsScreen})
	}
	if r.Signer || u.clinicTools() {
		s = append(s, section{"Clinic", theme.ComputerIcon(), u.clinicScreen})
	}
	if r.Signer {
		s = append(s, section{"Staffing", theme.ListIcon(), u.staffingScreen})
	}
	return append(s, section{"Settings", theme.SettingsIcon(), u.settingsScreen})
}

// roleKey says which sections and screens the roles call for: the frame
// lays its sections out again, and the screens read the chain again, when
// it changes.
func roleKey(v chainView) string {
	r := v.Roles
	k := "p"
	if r.Clinician != nil {
		k += "c"
	}
	if r.Signer {
		k += "s"
	}
	if a := r.Authority; a != nil {
		k += fmt.Sprintf("a%d:%s", a.Kinds, a.Name)
	}
	return k + fmt.Sprintf("l%d", r.Licences)
}

// orgKey says which organisation screens the wallet's registration calls
// for.
func orgKey(org state.Org, ok bool) string {
	if !ok {
		return ""
	}
	return fmt.Sprintf("+org%d", org.Role)
}

// myOrganisation reads the wallet's registration as an organisation; a
// failure to read counts as none (the next block reads it again).
func myOrganisation(s *session) (state.Org, bool) {
	if !s.view().Joined {
		return state.Org{}, false
	}
	o, ok, err := s.w.MyOrganisation()
	if err != nil {
		return state.Org{}, false
	}
	return o, ok
}

// showMain shows the unlocked window.
func (u *UI) showMain() {
	m := &mainView{u: u}
	u.main = m
	m.status = newStatusBar(u)
	m.tabs = container.NewAppTabs()
	m.tabs.SetTabLocation(container.TabLocationLeading)
	sess := u.session()
	// One indexed read of the chain state: the sections an organisation
	// needs are there from the start.
	m.org, m.orgOK = myOrganisation(sess)
	m.rebuild(sess.view())
	u.win.SetContent(container.NewStack(newActivityLayer(u.idle),
		container.NewBorder(nil, m.status.bar, nil, nil, m.tabs)))
	// Ctrl+L locks (Cmd+L on macOS), as in a password manager.
	lockKey := &desktop.CustomShortcut{KeyName: fyne.KeyL, Modifier: fyne.KeyModifierShortcutDefault}
	u.win.Canvas().RemoveShortcut(lockKey)
	u.win.Canvas().AddShortcut(lockKey, func(fyne.Shortcut) {
		if u.main == m {
			u.lock()
		}
	})
	sess.watch(func(v chainView) {
		org, orgOK := myOrganisation(sess)
		u.do(func() {
			if u.main != m {
				return
			}
			m.status.update(v)
			m.org, m.orgOK = org, orgOK
			if roleKey(v)+u.toolsKey()+orgKey(org, orgOK) != m.roles {
				m.rebuild(v)
			}
			if m.pendingShow != "" && m.show(m.pendingShow) {
				m.pendingShow = ""
			}
		})
	})
	// A recall of a pack the patient kept shows on Medicines' badge
	// whichever section is open.
	u.watchPackAlerts(sess)
}

func (u *UI) toolsKey() string {
	if u.clinicTools() {
		return "+tools"
	}
	return ""
}

// rebuild lays out the tabs for the roles in v, keeping the selected one.
// A screen is built when first shown, so unlocking stays quick.
func (m *mainView) rebuild(v chainView) {
	selected := m.selected()
	m.roles = roleKey(v) + m.u.toolsKey() + orgKey(m.org, m.orgOK)
	m.sections = m.u.sections(v, m.org, m.orgOK)
	m.built = make([]bool, len(m.sections))
	items := make([]*container.TabItem, len(m.sections))
	for i, s := range m.sections {
		items[i] = container.NewTabItemWithIcon(s.name, s.icon, container.NewStack())
	}
	m.tabs.OnSelected = nil
	m.tabs.SetItems(items)
	m.tabs.OnSelected = func(*container.TabItem) {
		m.u.idle.touch()
		m.ensureBuilt(m.tabs.SelectedIndex())
	}
	if !m.show(selected) {
		m.tabs.SelectIndex(0)
		m.ensureBuilt(0)
	}
	for name, n := range m.counts {
		m.badge(name, n)
	}
}

func (m *mainView) ensureBuilt(i int) {
	if i < 0 || i >= len(m.sections) || m.built[i] {
		return
	}
	m.built[i] = true
	box := m.tabs.Items[i].Content.(*fyne.Container)
	box.Objects = []fyne.CanvasObject{m.sections[i].build()}
	box.Refresh()
}

// selected is the name of the shown section.
func (m *mainView) selected() string {
	if i := m.tabs.SelectedIndex(); i >= 0 && i < len(m.sections) {
		return m.sections[i].name
	}
	return ""
}

// show selects the named section, if this wallet has it.
func (m *mainView) show(name string) bool {
	for i, s := range m.sections {
		if s.name == name {
			m.tabs.SelectIndex(i)
			m.ensureBuilt(i)
			return true
		}
	}
	return false
}

// badge marks a section as having n new things (0 clears the mark).
func (m *mainView) badge(name string, n int) {
	if m.counts == nil {
		m.counts = map[string]int{}
	}
	m.counts[name] = n
	for i, s := range m.sections {
		if s.name != name {
			continue
		}
		text := s.name
		if n > 0 {
			text = fmt.Sprintf("%s (%d)", s.name, n)
		}
		if m.tabs.Items[i].Text != text {
			m.tabs.Items[i].Text = text
			m.tabs.Refresh()
		}
	}
}

func (m *mainView) close() {}

// session is the current session; only valid while unlocked.
func (u *UI) session() *session {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.sess
}
