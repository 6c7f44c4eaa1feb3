//go:build !windows

package control

import (
	"errors"
	"syscall"
)

// refused reports whether err is a refused connection.
func refused(err error) bool { return errors.Is(err, syscall.ECONNREFUSED) }
