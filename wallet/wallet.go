package wallet

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"sync"
	"time"

	"github.com/adrg/xdg"
	"github.com/gofrs/flock"

	"github.com/healthwallet/healthwallet/ipfs"
	"github.com/healthwallet/healthwallet/wallet/catalog"
	"github.com/healthwallet/healthwallet/wallet/identity"
	"github.com/healthwallet/healthwallet/wallet/keystore"
)

var (
	// ErrWrongPassphrase is returned when the passphrase does not open the
	// keystore. Its message is "incorrect passphrase".
	ErrWrongPassphrase = keystore.ErrWrongPassphrase
	// ErrNoWallet is returned when the data directory holds no wallet.
	ErrNoWallet = errors.New("no wallet here")
	// ErrWalletExists is returned by Create and Restore when the data
	// directory already holds a wallet.
	ErrWalletExists = errors.New("a wallet already exists here")
	// ErrLocked is returned when another process has the wallet open.
	ErrLocked = errors.New("the wallet is open in another Health Wallet process")
	// ErrWeakPassphrase is returned for a passphrase too short to protect
	// the keystore against guessing.
	ErrWeakPassphrase = errors.New("passphrase too short")
)

// MinPassphraseLen is the shortest passphrase accepted, in bytes.
const MinPassphraseLen = 8

const (
	keystoreFile = "keystore.hwks"
	catalogFile  = "catalog.db"
	lockFile     = "lock"

	// Labels for keys derived from the seed. Never reuse or change one.
	labelCatalogMeta = "healthwallet/v1/catalog-meta"
	labelRecordID    = "healthwallet/v1/record-id"
)

// Options tune a wallet; the zero value is right for users.
type Options struct {
	// KDF is the keystore's Argon2id cost for new or re-sealed keystores.
	// Zero means keystore.DefaultParams.
	KDF keystore.Params
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Logger; nil means slog.Default().
	Logger *slog.Logger
	// Network, if set, puts the wallet's content store on the network
	// (bitswap over libp2p) with these settings; DataDir is the wallet's.
	// Nil keeps the wallet offline.
	Network *ipfs.Config
	// Chain, if set, makes the wallet a full node of a consent chain on
	// the same network (Network must be set).
	Chain *ChainConfig
}

func (o Options) kdf() keystore.Params {
	if o.KDF == (keystore.Params{}) {
		return keystore.DefaultParams
	}
	return o.KDF
}

func (o Options) now() time.Time {
	if o.Now == nil {
		return time.Now()
	}
	return o.Now()
}

// DefaultDir is the per-user data directory: $XDG_DATA_HOME/healthwallet on
// Linux, ~/Library/Application Support/healthwallet on macOS,
// %LOCALAPPDATA%\healthwallet on Windows.
func DefaultDir() string { return filepath.Join(xdg.DataHome, "healthwallet") }

// Exists reports whether dir holds a wallet.
func Exists(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, keystoreFile))
	return err == nil
}

// Wallet is an unlocked wallet. Its methods are safe for concurrent use.
type Wallet struct {
	dir      string
	opts     Options
	log      *slog.Logger
	lock     *flock.Flock
	id       *identity.Identity
	catalog  *catalog.Catalog
	store    *ipfs.Node
	recordID []byte
	chain    *membership // nil: not on a chain
	inboxMu  sync.Mutex  // read-modify-write of the inbox file
	creds    credentialStore
	lists    serialLists
}

// Create makes a new wallet in dir with a fresh 24-word recovery phrase, which
// it returns: the caller must show it to the user once.
func Create(dir string, passphrase []byte, opts Options) (*Wallet, string, error) {
	phrase, err := identity.NewMnemonic()
	if err != nil {
		return nil, "", err
	}
	w, err := Restore(dir, phrase, passphrase, opts)
	if err != nil {
		return nil, "", err
	}
	return w, phrase, nil
}

// Restore makes a wallet in dir from an existing recovery phrase: the same
// phrase gives the same identity on any machine. Records come back from a
// backup, not from the phrase.
func Restore(dir, phrase string, passphrase []byte, opts Options) (*Wallet, error) {
	passphrase = normalizePassphrase(passphrase)
	if len(passphrase) < MinPassphraseLen {
		return nil, fmt.Errorf("%w: use at least %d characters", ErrWeakPassphrase, MinPassphraseLen)
	}
	entropy, err := identity.ParseMnemonic(phrase)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory %s: %w", dir, err)
	}
	lk, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	if Exists(dir) {
		lk.Unlock()
		return nil, fmt.Errorf("%s: %w", dir, ErrWalletExists)
	}
	if err := keystore.Save(filepath.Join(dir, keystoreFile), entropy, passphrase, opts.kdf()); err != nil {
		lk.Unlock()
		return nil, err
	}
	return open(dir, lk, entropy, opts)
}

// Open unlocks the wallet in dir.
func Open(dir string, passphrase []byte, opts Options) (*Wallet, error) {
	if !Exists(dir) {
		return nil, fmt.Errorf("%s: %w", dir, ErrNoWallet)
	}
	lk, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	entropy, err := keystore.Load(filepath.Join(dir, keystoreFile), normalizePassphrase(passphrase))
	releaseKDFMemory()
	if errors.Is(err, keystore.ErrWrongPassphrase) {
		// The one error a user meets daily: said plainly, without a path.
		err = ErrWrongPassphrase
	}
	if err != nil {
		lk.Unlock()
		return nil, err
	}
	return open(dir, lk, entropy, opts)
}

func lockDir(dir string) (*flock.Flock, error) {
	lk := flock.New(filepath.Join(dir, lockFile))
	ok, err := lk.TryLock()
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", dir, err)
	}
	if !ok {
		return nil, fmt.Errorf("%s: %w", dir, ErrLocked)
	}
	return lk, nil
}

func open(dir string, lk *flock.Flock, entropy []byte, opts Options) (w *Wallet, err error) {
	defer func() {
		if err != nil {
			lk.Unlock()
		}
	}()
	id, err := identity.FromEntropy(entropy)
	if err != nil {
		return nil, err
	}
	cat, err := catalog.Open(filepath.Join(dir, catalogFile), id.DeriveKey(labelCatalogMeta, 32))
	if err != nil {
		return nil, err
	}
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	netCfg := ipfs.Config{Offline: true}
	if opts.Network != nil {
		netCfg = *opts.Network
	}
	netCfg.DataDir = dir
	if netCfg.Logger == nil {
		netCfg.Logger = log
	}
	store, err := ipfs.New(context.Background(), netCfg)
	if err != nil {
		cat.Close()
		return nil, err
	}
	w = &Wallet{
		dir:      dir,
		opts:     opts,
		log:      log,
		lock:     lk,
		id:       id,
		catalog:  cat,
		store:    store,
		recordID: id.DeriveKey(labelRecordID, 32),
	}
	if opts.Chain != nil {
		if w.chain, err = joinChain(context.Background(), dir, store, *opts.Chain, opts.Now, log); err != nil {
			store.Close()
			cat.Close()
			return nil, err
		}
		w.chain.wg.Go(func() { w.runChores(w.chain.runCtx) })
	}
	return w, nil
}

// Dir is the wallet's data directory.
func (w *Wallet) Dir() string { return w.dir }

// ID is the owner's public Health Wallet ID.
func (w *Wallet) ID() identity.ID { return w.id.ID() }

// Public is the owner's public keys.
func (w *Wallet) Public() identity.Public { return w.id.Public() }

// RecoveryPhrase returns the 24 words, for a user who asks to see them again
// after unlocking.
func (w *Wallet) RecoveryPhrase() string { return w.id.Mnemonic() }

// ChangePassphrase re-seals the keystore under a new passphrase.
func (w *Wallet) ChangePassphrase(old, new []byte) error {
	old, new = normalizePassphrase(old), normalizePassphrase(new)
	if len(new) < MinPassphraseLen {
		return fmt.Errorf("%w: use at least %d characters", ErrWeakPassphrase, MinPassphraseLen)
	}
	err := keystore.ChangePassphrase(filepath.Join(w.dir, keystoreFile), old, new, w.opts.kdf())
	if errors.Is(err, keystore.ErrWrongPassphrase) {
		return ErrWrongPassphrase
	}
	return err
}

// Close closes the stores and releases the data directory.
func (w *Wallet) Close() error {
	var errs []error
	if w.chain != nil {
		errs = append(errs, w.chain.close())
	}
	errs = append(errs, w.store.Close(), w.catalog.Close(), w.lock.Unlock())
	return errors.Join(errs...)
}

// CheckPassphrase reports whether passphrase opens this wallet's keystore
// (ErrWrongPassphrase if not), for confirming who is at an unlocked window
// before showing its secrets.
func (w *Wallet) CheckPassphrase(passphrase []byte) error {
	secret, err := keystore.Load(filepath.Join(w.dir, keystoreFile), normalizePassphrase(passphrase))
	clear(secret)
	releaseKDFMemory()
	if errors.Is(err, keystore.ErrWrongPassphrase) {
		return ErrWrongPassphrase
	}
	return err
}

// releaseKDFMemory hands the Argon2id working memory (64 MiB, garbage once
// the key is derived) back to the operating system at once. Otherwise the
// runtime keeps it for minutes, and a desktop app that unlocked once stays
// that much larger than what it uses.
func releaseKDFMemory() { debug.FreeOSMemory() }
