package identity

import (
	"crypto/rand"
	"errors"
	"fmt"
	"strings"

	"github.com/tyler-smith/go-bip39"
	"github.com/tyler-smith/go-bip39/wordlists"
)

const (
	// EntropySize is the size in bytes of a wallet's root secret.
	EntropySize = 32
	// MnemonicWords is the number of words in a recovery phrase.
	MnemonicWords = 24
)

// ErrInvalidPhrase is wrapped by every error ParseMnemonic and FromMnemonic
// return for a phrase that is not a valid recovery phrase.
var ErrInvalidPhrase = errors.New("invalid recovery phrase")

// errPhraseChecksum is returned when every word is valid but the BIP39
// checksum does not match.
var errPhraseChecksum = fmt.Errorf("%w: the words are valid but one is wrong or out of order", ErrInvalidPhrase)

// WordError reports a word of a recovery phrase that is not in the BIP39
// English word list. It wraps ErrInvalidPhrase. A user interface can use
// Position to highlight the word.
type WordError struct {
	Position   int    // 1-based position of the word in the phrase
	Word       string // the word as normalised (lower case)
	Suggestion string // the list word with the same first four letters, or ""
}

func (e *WordError) Error() string {
	msg := fmt.Sprintf("%v: word %d, %q, is not in the recovery word list", ErrInvalidPhrase, e.Position, e.Word)
	if e.Suggestion != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", e.Suggestion)
	}
	return msg
}

func (e *WordError) Unwrap() error { return ErrInvalidPhrase }

// english maps each BIP39 English word to its index, and each 4-letter
// prefix to its word: BIP39 English words are unique in their first four
// letters. It is built from the word list itself rather than from
// go-bip39's process-wide current list, which SetWordList can change.
var english, englishPrefix = func() (map[string]int, map[string]string) {
	words := make(map[string]int, len(wordlists.English))
	prefixes := make(map[string]string, len(wordlists.English))
	for i, w := range wordlists.English {
		words[w] = i
		prefixes[w[:min(4, len(w))]] = w
	}
	return words, prefixes
}()

// NewMnemonic returns a new 24-word recovery phrase encoding 256 bits from
// crypto/rand.
func NewMnemonic() (string, error) {
	entropy := make([]byte, EntropySize)
	rand.Read(entropy) // never fails
	return mnemonicFromEntropy(entropy)
}

// mnemonicFromEntropy encodes 32 bytes of entropy as a 24-word phrase.
func mnemonicFromEntropy(entropy []byte) (string, error) {
	if len(entropy) != EntropySize {
		return "", fmt.Errorf("identity: entropy is %d bytes, want %d", len(entropy), EntropySize)
	}
	m, err := bip39.NewMnemonic(entropy)
	if err != nil {
		return "", fmt.Errorf("identity: encoding recovery phrase: %w", err)
	}
	return m, nil
}

// normalizePhrase trims the phrase, collapses any run of whitespace to a
// single space and lower-cases it, returning the words.
func normalizePhrase(phrase string) []string {
	return strings.Fields(strings.ToLower(phrase))
}

// ParseMnemonic checks a recovery phrase typed by a person and returns the
// 32 bytes of entropy it encodes. Surrounding and repeated whitespace and
// upper case are accepted. Errors wrap ErrInvalidPhrase and say what is
// wrong: the word count, the first unknown word (as a *WordError), or a
// checksum mismatch.
func ParseMnemonic(phrase string) (entropy []byte, err error) {
	words := normalizePhrase(phrase)
	if len(words) != MnemonicWords {
		return nil, fmt.Errorf("%w: a recovery phrase has %d words; got %d", ErrInvalidPhrase, MnemonicWords, len(words))
	}
	for i, w := range words {
		if _, ok := english[w]; !ok {
			we := &WordError{Position: i + 1, Word: w}
			if len(w) >= 4 {
				we.Suggestion = englishPrefix[w[:4]]
			}
			return nil, we
		}
	}
	// Every word is known; go-bip39 decodes them and checks the checksum.
	entropy, err = bip39.EntropyFromMnemonic(strings.Join(words, " "))
	if err != nil {
		if errors.Is(err, bip39.ErrChecksumIncorrect) {
			return nil, errPhraseChecksum
		}
		return nil, fmt.Errorf("%w: %v", ErrInvalidPhrase, err)
	}
	if len(entropy) != EntropySize {
		// Cannot happen for 24 words; guards against library changes.
		return nil, fmt.Errorf("%w: decoded %d bytes of entropy, want %d", ErrInvalidPhrase, len(entropy), EntropySize)
	}
	return entropy, nil
}
