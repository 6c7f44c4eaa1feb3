package control

import (
	"errors"

	"golang.org/x/sys/windows"
)

// refused reports whether err is a refused connection.
func refused(err error) bool { return errors.Is(err, windows.WSAECONNREFUSED) }
