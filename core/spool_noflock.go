//go:build !(linux || darwin || dragonfly || freebsd || netbsd || openbsd || illumos)

package core

import (
	"errors"
	"os"
	"syscall"
)

// spoolLockKind says how strong the spool's directory lock is here. On
// this platform the standard library offers no file lock, so the spool
// only refuses a second spool on the same directory in the same process;
// two processes opening one SpoolDir are NOT prevented, and would corrupt
// each other's segments. Run one process per SpoolDir.
const spoolLockKind = "in-process only"

// lockFile does nothing here: see spoolLockKind.
func lockFile(f *os.File) error { return nil }

// unlockFile does nothing here: see spoolLockKind.
func unlockFile(f *os.File) error { return nil }

// isNoSpace reports whether err says the disk is full.
func isNoSpace(err error) bool {
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EFBIG)
}

// syncDir does nothing here: directories cannot be opened for fsync on
// this platform (Windows), whose file systems journal their metadata.
func syncDir(name string) error { return nil }
