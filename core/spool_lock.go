package core

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
)

// errSpoolLocked is the Err of the *spoolError that openSpool returns when
// another spool (of this process or another) has the directory open.
var errSpoolLocked = errors.New("in use by another spool (a second sink or process on the same SpoolDir)")

// openSpools holds the directories of this process's open spools, so that
// a second spool on one directory fails at once on every platform, even
// where spoolLockKind says other processes are not excluded.
var openSpools = struct {
	sync.Mutex
	dirs map[string]bool
}{dirs: map[string]bool{}}

// spoolLock is an open spool's hold on its directory.
type spoolLock struct {
	key string   // the directory, as registered in openSpools
	f   *os.File // SpoolDir/LOCK, locked
}

const lockName = "LOCK"

// lockSpoolDir registers dir in openSpools, then takes the file lock on
// dir/LOCK and writes this process's id into it (for the error another
// opener gets). The lock file goes through the os package, never the
// spoolFS seam: a lock is only real on a real file.
func lockSpoolDir(dir string) (*spoolLock, error) {
	key, err := filepath.Abs(dir)
	if err != nil {
		return nil, spoolErr(dir, "resolve", err)
	}
	if k, err := filepath.EvalSymlinks(key); err == nil {
		key = k
	}
	openSpools.Lock()
	if openSpools.dirs[key] {
		openSpools.Unlock()
		return nil, spoolErr(dir, "lock", errSpoolLocked)
	}
	openSpools.dirs[key] = true
	openSpools.Unlock()
	unregister := func() {
		openSpools.Lock()
		delete(openSpools.dirs, key)
		openSpools.Unlock()
	}

	f, err := os.OpenFile(filepath.Join(dir, lockName), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		unregister()
		return nil, spoolErr(dir, "create lock file", err)
	}
	if err := lockFile(f); err != nil {
		holder := readLockHolder(f)
		f.Close()
		unregister()
		if errors.Is(err, errSpoolLocked) && holder != "" {
			return nil, spoolErr(dir, "lock (held by process "+holder+")", err)
		}
		return nil, spoolErr(dir, "lock", err)
	}
	// The holder's pid is for the message only: a full disk may refuse it.
	if err := writeLockHolder(f); err != nil && !isNoSpace(err) {
		f.Close()
		unregister()
		return nil, spoolErr(dir, "write lock file", err)
	}
	return &spoolLock{key: key, f: f}, nil
}

func readLockHolder(f *os.File) string {
	var b [24]byte
	n, _ := f.ReadAt(b[:], 0)
	s := strings.TrimSpace(string(b[:n]))
	if _, err := strconv.Atoi(s); err != nil {
		return ""
	}
	return s
}

func writeLockHolder(f *os.File) error {
	if err := f.Truncate(0); err != nil {
		return err
	}
	_, err := f.WriteAt(strconv.AppendInt(nil, int64(os.Getpid()), 10), 0)
	return err
}

// release gives the directory up: the file lock, then the registration.
func (l *spoolLock) release() error {
	err := unlockFile(l.f)
	if cerr := l.f.Close(); err == nil {
		err = cerr
	}
	openSpools.Lock()
	delete(openSpools.dirs, l.key)
	openSpools.Unlock()
	return err
}
