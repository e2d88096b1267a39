//go:build !linux

package warehouse

import (
	"io/fs"
	"os"
)

// renameNoReplace renames src to dst and fails with fs.ErrExist if dst
// exists. Without renameat2 the check and the rename are two steps; rename
// still refuses a non-empty dst on every supported system.
func renameNoReplace(src, dst string) error {
	if _, err := os.Lstat(dst); err == nil {
		return fs.ErrExist
	}
	if err := os.Rename(src, dst); err != nil {
		if _, statErr := os.Lstat(dst); statErr == nil {
			return fs.ErrExist
		}
		return err
	}
	return nil
}
