package app

import (
	"errors"
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/healthwallet/healthwallet/wallet"
	"github.com/healthwallet/healthwallet/wallet/identity"
	"github.com/healthwallet/healthwallet/wallet/qr"
)

// sentence turns an error into what a patient can read; the technical
// detail stays available beside it (see showError).
func sentence(err error) string {
	switch {
	case errors.Is(err, wallet.ErrWrongPassphrase):
		return "That passphrase is not right. Check it and try again."
	case errors.Is(err, wallet.ErrLocked):
		return "This wallet is already open in another Health Wallet window. Close that one first."
	case errors.Is(err, wallet.ErrWeakPassphrase):
		return fmt.Sprintf("Please choose a longer passphrase: at least %d characters.", wallet.MinPassphraseLen)
	case errors.Is(err, wallet.ErrUnsupportedFile):
		return "That file is not something Health Wallet can import: use FHIR JSON, a PDF or an image."
	case errors.Is(err, wallet.ErrNoChain), errors.Is(err, wallet.ErrNotJoined):
		return "This wallet is not on a network yet. Join one from Settings with the invite your clinic gave you."
	case errors.Is(err, wallet.ErrBadInvite):
		return "That is not a Health Wallet invite. Ask your clinic for the invite code or file again."
	case errors.Is(err, wallet.ErrAccessEnded):
		return "This access has ended: the patient revoked it or it expired."
	case errors.Is(err, identity.ErrInvalidPhrase):
		return "Those words are not a valid recovery phrase. Check each word and their order."
	case errors.Is(err, wallet.ErrWalletExists):
		return "There is already a wallet here."
	case errors.Is(err, wallet.ErrNotClinician):
		return "That key is not a registered clinician on this network: their clinic must register them first."
	case errors.Is(err, wallet.ErrNoWriteGrant):
		return "The patient has not allowed you to add records of this kind, or that permission has ended."
	case errors.Is(err, wallet.ErrNotRegistrar):
		return "Only the clinic that registered this clinician can revoke them."
	case errors.Is(err, wallet.ErrBadConsortium):
		return "Those consortium settings cannot be used: " + err.Error()
	case errors.Is(err, wallet.ErrNoRequest):
		return "That request is no longer waiting for an answer."
	case errors.Is(err, wallet.ErrNoIncoming):
		return "That record is no longer in your inbox."
	case errors.Is(err, wallet.ErrNoEmergencyAuthorization):
		return "This patient has not set up emergency access."
	case errors.Is(err, wallet.ErrNoClinicKeys):
		return "No clinic on this network is ready to hold emergency keys yet. Try again in a minute."
	case errors.Is(err, wallet.ErrNotYours):
		return "This credential was issued to another key, not to this wallet: ask the authority for yours."
	case errors.Is(err, wallet.ErrCredentialNotAnchored):
		return "The authority has not recorded this credential on the ledger yet: ask it to."
	case errors.Is(err, wallet.ErrCredentialDocument):
		return "This file is not a genuine credential: it is damaged, altered, or not a credential at all."
	case errors.Is(err, wallet.ErrNotAuthority):
		return "This wallet is not an admitted licensing authority for that kind of credential."
	case errors.Is(err, wallet.ErrNotSigner):
		return "Only a clinic that seals the chain can do this."
	case errors.Is(err, wallet.ErrNotPrescriber):
		return "Writing prescriptions needs a valid prescriber licence on the ledger, and yours is missing, suspended or expired."
	case errors.Is(err, wallet.ErrNotPharmacist):
		return "Dispensing needs a valid pharmacist licence on the ledger, and this wallet's is missing, suspended or expired."
	case errors.Is(err, wallet.ErrDispenseRefused):
		return "The prescription may not be dispensed: the ledger changed since it was checked. Check it again to see why."
	case errors.Is(err, wallet.ErrPackRefused):
		return "This pack may not be dispensed: scan it again to see every reason."
	case errors.Is(err, wallet.ErrNotOrganisation):
		return "This wallet is not registered on the network as the kind of organisation that may do this (manufacturer, wholesaler or pharmacy)."
	case errors.Is(err, wallet.ErrNotOrgRegistrar):
		return "Only a clinic that seals the chain, or an admitted licensing authority, registers manufacturers, wholesalers and pharmacies."
	case errors.Is(err, qr.ErrNoCode):
		return "No QR code could be read in that picture. Try a sharper, straighter photo or a screenshot."
	}
	return "Something went wrong: " + err.Error()
}

// showError shows err as a sentence, with the technical detail one click
// away.
func (u *UI) showError(title string, err error) {
	msg := widget.NewLabel(sentence(err))
	msg.Wrapping = fyne.TextWrapWord
	detail := widget.NewLabel(err.Error())
	detail.Wrapping = fyne.TextWrapBreak
	detail.TextStyle = fyne.TextStyle{Monospace: true}
	details := widget.NewAccordion(widget.NewAccordionItem("Details", detail))
	d := dialog.NewCustom(title, "Close", container.NewVBox(msg, details), u.win)
	d.Resize(fyne.NewSize(520, 0))
	d.Show()
}
