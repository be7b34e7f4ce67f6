package core

import (
	"io/fs"
	"os"
)

// spoolFS is the part of the file system the spool uses: a seam so that
// tests can inject ENOSPC, EIO and short writes. osFS is the real one.
// Paths are full paths (the spool joins its directory and file names).
type spoolFS interface {
	OpenFile(name string, flag int, perm fs.FileMode) (spoolFile, error)
	Remove(name string) error
	Rename(oldpath, newpath string) error
	ReadDir(name string) ([]fs.DirEntry, error)
	MkdirAll(path string, perm fs.FileMode) error
	// SyncDir makes the directory's entries (created, renamed and removed
	// files) durable.
	SyncDir(name string) error
}

// spoolFile is an open file of a spoolFS. The spool reads and writes at
// explicit offsets only, so the file offset never matters.
type spoolFile interface {
	ReadAt(p []byte, off int64) (int, error)
	WriteAt(p []byte, off int64) (int, error)
	Truncate(size int64) error
	Sync() error
	Stat() (fs.FileInfo, error)
	Close() error
}

// osFS is the operating system's file system.
type osFS struct{}

func (osFS) OpenFile(name string, flag int, perm fs.FileMode) (spoolFile, error) {
	f, err := os.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err // a nil *os.File must not become a non-nil spoolFile
	}
	return f, nil
}

func (osFS) Remove(name string) error                     { return os.Remove(name) }
func (osFS) Rename(oldpath, newpath string) error         { return os.Rename(oldpath, newpath) }
func (osFS) ReadDir(name string) ([]fs.DirEntry, error)   { return os.ReadDir(name) }
func (osFS) MkdirAll(path string, perm fs.FileMode) error { return os.MkdirAll(path, perm) }

func (osFS) SyncDir(name string) error { return syncDir(name) }
