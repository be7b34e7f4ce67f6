//go:build linux && (amd64 || arm64)

package core_test

import (
	"os"
	"path/filepath"
	"syscall"
)

// evictPages drops the pages of dir's files from the page cache
// (posix_fadvise POSIX_FADV_DONTNEED; they must be clean: synced), so that
// reading them goes to the disk, as after a reboot. It reports whether it
// could.
func evictPages(dir string) bool {
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			return false
		}
		const fadvDontNeed = 4
		_, _, errno := syscall.Syscall6(syscall.SYS_FADVISE64, f.Fd(), 0, 0, fadvDontNeed, 0, 0)
		f.Close()
		if errno != 0 {
			return false
		}
	}
	return true
}
