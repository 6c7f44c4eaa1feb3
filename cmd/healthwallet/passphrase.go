package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"
)

// Passphrases come, in order of preference, from a file named by a flag, from
// an environment variable (for scripts), from the terminal without echo, or
// as a line of standard input.
const (
	envPassphrase    = "HEALTHWALLET_PASSPHRASE"
	envNewPassphrase = "HEALTHWALLET_NEW_PASSPHRASE"
)

// terminal reports whether standard input is an interactive terminal, and
// its file descriptor.
func (env *cli) terminal() (int, bool) {
	f, ok := env.stdin.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return 0, false
	}
	return int(f.Fd()), true
}

// stdinLines reads standard input a line at a time; shared so two prompts in
// one command read consecutive lines.
func (env *cli) line() (string, error) {
	if br, ok := env.stdin.(*bufio.Reader); ok {
		return readLine(br)
	}
	br := bufio.NewReader(env.stdin)
	env.stdin = br
	return readLine(br)
}

func readLine(br *bufio.Reader) (string, error) {
	s, err := br.ReadString('\n')
	if err != nil && !(errors.Is(err, io.EOF) && s != "") {
		if errors.Is(err, io.EOF) {
			return "", errors.New("standard input ended before the expected line")
		}
		return "", err
	}
	return strings.TrimRight(s, "\r\n"), nil
}

// passphrase obtains the wallet's current passphrase.
func (env *cli) passphrase(prompt string) ([]byte, error) {
	return env.secret(env.passphraseFile, envPassphrase, prompt, false)
}

// newPassphrase obtains a passphrase being set, asking twice on a terminal.
func (env *cli) newPassphrase(file, envName, prompt string) ([]byte, error) {
	return env.secret(file, envName, prompt, true)
}

func (env *cli) secret(file, envName, prompt string, confirm bool) ([]byte, error) {
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("read passphrase: %w", err)
		}
		first, _, _ := bytes.Cut(b, []byte("\n"))
		return bytes.TrimRight(first, "\r"), nil
	}
	if v := env.getenv(envName); v != "" {
		return []byte(v), nil
	}
	fd, isTerm := env.terminal()
	if !isTerm {
		s, err := env.line()
		if err != nil {
			return nil, fmt.Errorf("read passphrase from standard input: %w", err)
		}
		return []byte(s), nil
	}
	fmt.Fprint(env.stderr, prompt+": ")
	p, err := term.ReadPassword(fd)
	fmt.Fprintln(env.stderr)
	if err != nil {
		return nil, fmt.Errorf("read passphrase: %w", err)
	}
	if confirm {
		fmt.Fprint(env.stderr, "Repeat it: ")
		again, err := term.ReadPassword(fd)
		fmt.Fprintln(env.stderr)
		if err != nil {
			return nil, fmt.Errorf("read passphrase: %w", err)
		}
		if !bytes.Equal(p, again) {
			return nil, errors.New("the two passphrases differ")
		}
	}
	return p, nil
}
