#!/usr/bin/env bash
# Takes the README's screenshots of the real app, under Xvfb, on a fresh
# demo (wallet, clinics and clinician in a temporary directory):
#
#   packaging/screenshots.sh [BINARY [SAMPLES [OUTDIR]]]
#
# BINARY defaults to bin/healthwallet, SAMPLES to the Synthea bundles the
# Makefile's run target uses, OUTDIR to docs/screenshots. Each screen is
# its own launch of the app (`--show SECTION`, `demo --as MEMBER`), waited
# for with deadlines; some need clicks (xdotool) at fixed places of the
# 1100x720 window, so a changed layout shows in the pictures: look at them.
# The patient approves the demo clinician's request on the way, so the last
# pictures show the grant from both sides. Needs Xvfb, xdotool and
# ImageMagick (packaging/install-deps.sh gui).
set -euo pipefail

bin=$(realpath "${1:-bin/healthwallet}")
samples=${2:-../shared/testdata/fhir/synthea-bundles}
out=${3:-docs/screenshots}
deadline=${SCREENSHOT_TIMEOUT:-60} # seconds for a window to appear

for tool in Xvfb xdotool import; do
  command -v "$tool" >/dev/null || { echo "screenshots: $tool is missing (packaging/install-deps.sh gui)" >&2; exit 1; }
done
mkdir -p "$out"
out=$(realpath "$out")

work=$(mktemp -d)
xvfb=""
app=""
cleanup() {
  stop_app
  if [[ -n $xvfb ]]; then kill "$xvfb" 2>/dev/null || true; wait "$xvfb" 2>/dev/null || true; fi
  rm -rf "$work"
}

# stop_app ends the running app as Ctrl+C would (it closes its wallets),
# and kills it if it has not exited within 20 s.
stop_app() {
  [[ -n $app ]] || return 0
  kill -TERM "$app" 2>/dev/null || true
  for _ in $(seq 100); do
    kill -0 "$app" 2>/dev/null || break
    sleep 0.2
  done
  kill -KILL "$app" 2>/dev/null || true
  wait "$app" 2>/dev/null || true
  app=""
}
trap cleanup EXIT

# A fresh home, so no theme or setting of the user's changes the pictures.
export HOME=$work/home XDG_CONFIG_HOME=$work/home/.config XDG_CACHE_HOME=$work/home/.cache XDG_DATA_HOME=$work/home/.local/share
export XDG_RUNTIME_DIR=$work/run
mkdir -p "$XDG_CONFIG_HOME" "$XDG_CACHE_HOME" "$XDG_DATA_HOME"
mkdir -m 0700 "$XDG_RUNTIME_DIR"

# Xvfb picks a free display and says which.
Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp 3>"$work/display" 2>"$work/xvfb.log" &
xvfb=$!
for _ in $(seq 100); do [[ -s $work/display ]] && break; sleep 0.1; done
[[ -s $work/display ]] || { echo "screenshots: Xvfb did not start:" >&2; cat "$work/xvfb.log" >&2; exit 1; }
export DISPLAY=:$(head -1 "$work/display")

demo=$work/demo

# The demo once without a window: wallet, records, clinics, and the
# clinician's request in the inbox.
"$bin" demo --demo-dir "$demo" --samples "$samples" --no-gui 2>&1 | sed 's/^/  /'

# launch starts the app with the given arguments and waits for its window
# (window id in $win), then for the first unlocked screen when it opens
# one (--ready-file), then for screens that load in the background.
launch() {
  rm -f "$work/ready"
  "$bin" "$@" --ready-file "$work/ready" >"$work/app.log" 2>&1 &
  app=$!
  win=$(timeout "$deadline" xdotool search --sync --onlyvisible --name '^Health Wallet$' | head -1) || true
  if [[ -z $win ]]; then
    echo "screenshots: no window within ${deadline}s for: $*" >&2
    cat "$work/app.log" >&2
    exit 1
  fi
  for _ in $(seq 50); do [[ -s $work/ready ]] && break; sleep 0.2; done
  sleep 3
}

shot() {
  import -window "$win" "$out/$1.png"
  echo "  $out/$1.png"
}

click() { xdotool mousemove --window "$win" "$1" "$2" click 1; sleep 0.5; }

# Places in the Records screen (window coordinates): the category list on
# the left, the first row of the record list in the middle.
conditions=(103 139)
trends=(103 491)
first_row=(450 120)

launch gui --data-dir "$work/new"
shot welcome
stop_app

launch gui --data-dir "$demo"
shot unlock
stop_app

launch demo --demo-dir "$demo"
shot records
click "${conditions[@]}"
sleep 1
click "${first_row[@]}"
sleep 2
shot record
click "${trends[@]}"
sleep 2
click "${first_row[@]}" # Blood Pressure, the first measurement
sleep 3
shot chart
stop_app

# The request in the inbox, the patient's answer, and the grant it made.
launch demo --demo-dir "$demo" --show Sharing
shot sharing
click 152 275 # Approve… (below the sender's licence verdict)
sleep 2
shot approve
click 339 461 # let them add records: the prescription below reaches the wallet
click 595 500 # Share
sleep 8       # a block or two (2 s period) seals the grant
click 247 21  # the Active grants tab
sleep 2
shot grants
stop_app

for section in Activity "My ID"; do
  launch demo --demo-dir "$demo" --show "$section"
  name=$(echo "$section" | tr -d ' ' | tr '[:upper:]' '[:lower:]')
  shot "$name"
  stop_app
done

# The demo through a clinic's and the clinician's eyes: the consortium runs
# but for that member, whose wallet the app shows. Their sections depend on
# roles the session learns after unlocking, so they are clicked (by their
# place in the navigation, one tab every 57 px) rather than named with
# --show.
tab() { click 37 $((35 + 57 * $1)); sleep 2; } # 0 is Records

# A clinic: Records, Sharing, Activity, My ID, Medicines, Credentials,
# Clinic, Staffing, Settings.
launch demo --demo-dir "$demo" --as clinic-1
tab 6
shot clinic
stop_app

launch demo --demo-dir "$demo" --as clinician
tab 5 # Patients
click 750 115 # the patient who shares: their records
sleep 5
shot patients
stop_app

# Verified clinicians and e-prescriptions. The demo's licensing authorities
# issued the clinician a physician, a prescriber and a training credential
# and the pharmacist a pharmacist's licence when the consortium first ran;
# the IDs typed below are read from the wallets (demo passphrases are
# public).
patient_id=$(HEALTHWALLET_PASSPHRASE="demo wallet passphrase" "$bin" id --data-dir "$demo")
clinician_id=$(HEALTHWALLET_PASSPHRASE="demo consortium passphrase" "$bin" id --data-dir "$demo-consortium/clinician")

# type_at X Y TEXT types into the field at (X, Y).
type_at() { click "$1" "$2"; xdotool type --delay 2 "$3"; sleep 0.3; }

# The clinician: Records, Sharing, Activity, My ID, Medicines, Patients,
# Prescribe, Credentials, Settings. The prescription written is saved (the
# file dialog opens in $HOME) for the pharmacist.
launch demo --demo-dir "$demo" --as clinician
tab 7
shot credentials
tab 6
type_at 650 154 "$patient_id"
type_at 650 193 "Dr. Ada Demo"
type_at 650 271 197361
type_at 650 310 "amlodipine 5 MG Oral Tablet"
type_at 650 349 "1 tablet by mouth once daily"
type_at 428 388 30
type_at 870 388 tablet
click 176 545 # Sign and record
sleep 8       # a block or two seals the commitment
shot prescribe
click 157 646 # Save file…
sleep 2
click 768 526 # the dialog's Save
sleep 1
stop_app
rx=$(ls "$HOME"/prescription-*.hwrx 2>/dev/null | head -1)
[[ -s $rx ]] || { echo "screenshots: the prescription was not saved in $HOME" >&2; exit 1; }

# The patient's prescription (the clinician's, just written) and its QR
# code to show at the pharmacy.
launch demo --demo-dir "$demo" --show Medicines
shot medicines
click 1020 128 # Show QR code, beside the first prescription
sleep 3
shot prescription-qr
stop_app

# The pharmacist: Records, Sharing, Activity, My ID, Medicines, Patients,
# Pharmacy, Packs, Credentials, Settings. The prescription passes, is
# dispensed, and is refused when checked again.
launch demo --demo-dir "$demo" --as pharmacist
tab 6
type_at 600 131 "$(cat "$rx")"
click 1048 192 # Check
sleep 2
shot pharmacy-pass
click 147 383 # Dispense
sleep 1
click 603 425 # the dialog's Dispense
sleep 8
click 1048 192 # Check again
sleep 2
shot pharmacy-fail
stop_app

# The clinic again: its staffing view, and a candidate checked by ID.
launch demo --demo-dir "$demo" --as clinic-1
tab 7
shot staffing
tab 5
type_at 550 115 "$clinician_id"
click 1048 115 # Check
sleep 2
shot candidate
stop_app

# Medicine packs. The demo's supply chain (set up when the pharmacist's wallet
# first opened) left its pack codes in the consortium's directory: the
# pharmacy scans a genuine pack and one of the recalled lot (the scanner
# types the code and Enter). The organisations' sections (Packs, Supply)
# are there at unlocking, so --show opens them.
packs=$demo-consortium/demo-packs.txt
[[ -s $packs ]] || { echo "screenshots: no demo pack codes in $packs" >&2; exit 1; }
pack_code() { awk -F'\t' -v k="$1" '$1 == k { print $2 }' "$packs"; }
scan() { type_at 500 131 "$1"; xdotool key Return; sleep 2; }
launch demo --demo-dir "$demo" --as pharmacist --show Packs
scan "$(pack_code genuine)"
shot packs-genuine
scan "$(pack_code recalled)"
shot packs-recalled
stop_app

launch demo --demo-dir "$demo" --as manufacturer --show Supply
shot supply
stop_app
