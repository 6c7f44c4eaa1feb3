//go:build !linux

package kubo

import "syscall"

func sysProcAttr() *syscall.SysProcAttr { return nil }
