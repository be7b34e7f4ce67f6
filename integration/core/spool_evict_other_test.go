//go:build !(linux && (amd64 || arm64))

package core_test

// evictPages is only implemented on Linux.
func evictPages(dir string) bool { return false }
