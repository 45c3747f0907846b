package manifest

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// ResolveCommand returns the real path of m.Command inside installDir,
// after checking that it stays inside (symlinks included), exists, and is an
// executable regular file. The returned path has its symlinks resolved, so
// the edge starts exactly the file that was checked.
func ResolveCommand(installDir string, m Manifest) (string, error) {
	if m.Command == "" {
		return "", errors.New("command: none (runtime process needs one)")
	}
	real, info, err := resolveInside(installDir, "command", m.Command)
	if err != nil {
		return "", err
	}
	switch {
	case info.IsDir():
		return "", fmt.Errorf("command %s: is a directory", m.Command)
	case !info.Mode().IsRegular():
		return "", fmt.Errorf("command %s: not a regular file", m.Command)
	case info.Mode().Perm()&0o111 == 0:
		return "", fmt.Errorf("command %s: not executable", m.Command)
	}
	return real, nil
}

// ResolveWorkdir returns the real path of the directory the title starts
// in: m.Workdir inside installDir, or installDir itself when unset.
func ResolveWorkdir(installDir string, m Manifest) (string, error) {
	rel := m.Workdir
	if rel == "" {
		rel = "."
	}
	real, info, err := resolveInside(installDir, "workdir", rel)
	if err != nil {
		return "", err
	}
	if !info.IsDir() {
		return "", fmt.Errorf("workdir %s: not a directory", m.Workdir)
	}
	return real, nil
}

// resolveInside resolves rel under dir and refuses anything that ends up
// outside it. Both sides go through EvalSymlinks so that a symlinked install
// directory (common with versioned installs) still compares equal, and the
// prefix check includes a separator so that "/games/t1" does not accept
// "/games/t10".
func resolveInside(dir, field, rel string) (string, fs.FileInfo, error) {
	if filepath.IsAbs(rel) || strings.HasPrefix(rel, "/") {
		return "", nil, fmt.Errorf("%s %s: absolute path (want one relative to the install directory)", field, rel)
	}
	if hasDotDot(filepath.ToSlash(rel)) {
		return "", nil, fmt.Errorf("%s %s: outside the install directory", field, rel)
	}
	root, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return "", nil, fmt.Errorf("install directory %s: %w", dir, err)
	}
	root, err = filepath.Abs(root)
	if err != nil {
		return "", nil, fmt.Errorf("install directory %s: %w", dir, err)
	}
	real, err := filepath.EvalSymlinks(filepath.Join(root, filepath.FromSlash(rel)))
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil, fmt.Errorf("%s %s: not found in the install directory", field, rel)
	}
	if err != nil {
		return "", nil, fmt.Errorf("%s %s: %w", field, rel, err)
	}
	real, err = filepath.Abs(real)
	if err != nil {
		return "", nil, fmt.Errorf("%s %s: %w", field, rel, err)
	}
	prefix := root
	if !strings.HasSuffix(prefix, string(filepath.Separator)) { // root "/" already ends in one
		prefix += string(filepath.Separator)
	}
	if real != root && !strings.HasPrefix(real, prefix) {
		return "", nil, fmt.Errorf("%s %s: outside the install directory", field, rel)
	}
	info, err := os.Stat(real)
	if err != nil {
		return "", nil, fmt.Errorf("%s %s: %w", field, rel, err)
	}
	return real, info, nil
}
