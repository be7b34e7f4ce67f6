//go:build linux || darwin || dragonfly || freebsd || netbsd || openbsd || illumos

package core

import (
	"errors"
	"os"
	"syscall"
)

// spoolLockKind says how strong the spool's directory lock is here: an
// flock(2) on SpoolDir/LOCK, which excludes other processes and other
// spools of this process alike, and which the kernel drops when the
// process dies (kill -9 leaves no stale lock).
const spoolLockKind = "flock"

// lockFile takes an exclusive lock on f without waiting. It returns
// errSpoolLocked if another open file (of this or another process) holds it.
func lockFile(f *os.File) error {
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		switch {
		case err == nil:
			return nil
		case errors.Is(err, syscall.EINTR):
			continue
		case errors.Is(err, syscall.EWOULDBLOCK):
			return errSpoolLocked
		default:
			return err
		}
	}
}

// unlockFile releases the lock of lockFile (closing f releases it too).
func unlockFile(f *os.File) error {
	return syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
}

// isNoSpace reports whether err says the disk (or quota, or file size
// limit) is full: a condition that can pass, unlike a read-only or
// forbidden directory.
func isNoSpace(err error) bool {
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) || errors.Is(err, syscall.EFBIG)
}

// syncDir makes a directory's entries durable (fsync on the directory).
func syncDir(name string) error {
	d, err := os.Open(name)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
