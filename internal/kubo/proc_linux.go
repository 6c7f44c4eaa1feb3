package kubo

import "syscall"

// sysProcAttr kills kubo if the process that started it dies (a test binary
// killed by its timeout), so no daemon is left behind.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
