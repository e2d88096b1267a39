package warehouse

import (
	"errors"
	"os"
	"syscall"
)

// ProcessAlive reports whether a process with this pid runs on this host.
// Stores and the commit protocol use it to tell a live writer from the
// leftovers of a killed one.
func ProcessAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	if pid == os.Getpid() {
		return true
	}
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	err = p.Signal(syscall.Signal(0))
	return err == nil || errors.Is(err, syscall.EPERM)
}
