package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/healthwallet/healthwallet/wallet/keystore"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"healthwallet": func() {
			// Scripts seal keystores with cheap Argon2id parameters: the
			// format and code path are the same, the cost is not.
			walletOptions.KDF = keystore.TestParams
			os.Exit(run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv))
		},
	})
}

// TestScripts runs the CLI golden scripts in testdata/script: each drives
// the real binary against a fresh data directory.
func TestScripts(t *testing.T) {
	shared, err := filepath.Abs("../../../shared/testdata")
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			env.Setenv("SHARED", shared)
			env.Setenv("XDG_DATA_HOME", filepath.Join(env.WorkDir, "xdg"))
			return nil
		},
	})
}
