package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/healthwallet/healthwallet/wallet"
)

func runInit(_ context.Context, env *cli, args []string) error {
	fs := env.flags("init")
	if _, err := env.parse(fs, args); err != nil {
		return err
	}
	pass, err := env.newPassphrase(env.passphraseFile, envPassphrase, "Choose a passphrase for this wallet")
	if err != nil {
		return err
	}
	w, phrase, err := wallet.Create(env.dataDir, pass, walletOptions)
	if err != nil {
		return err
	}
	defer w.Close()
	fmt.Fprintf(env.stdout, "Created a wallet in %s\nYour ID: %s\n\n", env.dataDir, w.ID())
	fmt.Fprintln(env.stdout, "Your recovery phrase: write these 24 words down, in order, and keep them offline.")
	fmt.Fprintln(env.stdout, "They restore your wallet if this machine or your passphrase is lost; anyone who has them can too.")
	fmt.Fprintln(env.stdout)
	words := strings.Fields(phrase)
	for i := 0; i < len(words); i += 4 {
		for j := i; j < i+4 && j < len(words); j++ {
			fmt.Fprintf(env.stdout, "%3d %-10s", j+1, words[j])
		}
		fmt.Fprintln(env.stdout)
	}
	return nil
}

func runRestore(ctx context.Context, env *cli, args []string) error {
	fs := env.flags("restore")
	phraseFile := fs.String("phrase-file", "", "read the recovery phrase from `file` (else a prompt or standard input)")
	backup := fs.String("backup", "", "restore the records too, from the backup `file` made by 'healthwallet backup'")
	if _, err := env.parse(fs, args); err != nil {
		return err
	}
	var phrase string
	if *phraseFile != "" {
		b, err := os.ReadFile(*phraseFile)
		if err != nil {
			return fmt.Errorf("read recovery phrase: %w", err)
		}
		phrase = string(b)
	} else {
		if _, isTerm := env.terminal(); isTerm {
			fmt.Fprint(env.stderr, "Recovery phrase (24 words): ")
		}
		line, err := env.line()
		if err != nil {
			return fmt.Errorf("read recovery phrase: %w", err)
		}
		phrase = line
	}
	pass, err := env.newPassphrase(env.passphraseFile, envPassphrase, "Choose a passphrase for this wallet")
	if err != nil {
		return err
	}
	if *backup != "" {
		return restoreBackup(ctx, env, *backup, phrase, pass)
	}
	w, err := wallet.Restore(env.dataDir, phrase, pass, walletOptions)
	if err != nil {
		return err
	}
	defer w.Close()
	fmt.Fprintf(env.stdout, "Restored the wallet in %s\nYour ID: %s\n", env.dataDir, w.ID())
	return nil
}

// openWallet unlocks the wallet named by the flags.
func (env *cli) openWallet() (*wallet.Wallet, error) {
	if !wallet.Exists(env.dataDir) {
		return nil, fmt.Errorf("%s: %w", env.dataDir, wallet.ErrNoWallet)
	}
	pass, err := env.passphrase("Passphrase")
	if err != nil {
		return nil, err
	}
	return wallet.Open(env.dataDir, pass, walletOptions)
}

func runID(_ context.Context, env *cli, args []string) error {
	fs := env.flags("id")
	card := fs.Bool("card", false, "print the identity card instead: ID and encryption key, for a clinic to register you")
	if _, err := env.parse(fs, args); err != nil {
		return err
	}
	w, err := env.openWallet()
	if err != nil {
		return err
	}
	defer w.Close()
	if *card {
		c, err := identityCard(w)
		if err != nil {
			return err
		}
		fmt.Fprintln(env.stdout, c)
		return nil
	}
	fmt.Fprintln(env.stdout, w.ID())
	return nil
}

func runPasswd(_ context.Context, env *cli, args []string) error {
	fs := env.flags("passwd")
	newFile := fs.String("new-passphrase-file", "", "read the new passphrase from `file` (else $"+envNewPassphrase+", else a prompt)")
	if _, err := env.parse(fs, args); err != nil {
		return err
	}
	if !wallet.Exists(env.dataDir) {
		return fmt.Errorf("%s: %w", env.dataDir, wallet.ErrNoWallet)
	}
	old, err := env.passphrase("Current passphrase")
	if err != nil {
		return err
	}
	w, err := wallet.Open(env.dataDir, old, walletOptions)
	if err != nil {
		return err
	}
	defer w.Close()
	nw, err := env.newPassphrase(*newFile, envNewPassphrase, "New passphrase")
	if err != nil {
		return err
	}
	if err := w.ChangePassphrase(old, nw); err != nil {
		return err
	}
	fmt.Fprintln(env.stdout, "Passphrase changed.")
	return nil
}
