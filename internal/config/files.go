package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// file checks a path that a report is written to: in the workspace (the
// working directory, which the runner makes the workspace), after cleaning
// and after following the symbolic links that exist, so that a workflow
// cannot be made to write over the runner's files or anything else outside
// the checkout. It returns the absolute path.
func (p *parser) file(input, s string) string {
	if s == "" {
		return ""
	}
	wd, err := os.Getwd()
	if err != nil {
		p.add(input, fmt.Sprintf("%q cannot be checked: the working directory is unknown (%v)", s, err))
		return ""
	}
	path, problem := InWorkspace(wd, s)
	if problem != "" {
		p.add(input, problem)
		return ""
	}
	return path
}

// InWorkspace returns the absolute path of name, relative to workspace
// unless absolute, or a problem when it is not in workspace: outside it
// after cleaning, or through a symbolic link that leads out of it, or the
// workspace itself.
func InWorkspace(workspace, name string) (path, problem string) {
	outside := fmt.Sprintf("%q is outside the workspace (%s): give a path inside it, such as reports/sigmagate.xml", name, workspace)
	ws, err := filepath.EvalSymlinks(workspace)
	if err != nil {
		return "", fmt.Sprintf("%q cannot be checked: the workspace %s cannot be read (%v)", name, workspace, err)
	}
	path = name
	if !filepath.IsAbs(path) {
		path = filepath.Join(workspace, path)
	}
	path = filepath.Clean(path)
	if !within(filepath.Clean(workspace), path) && !within(ws, path) {
		return "", outside
	}
	if path == filepath.Clean(workspace) || path == ws || strings.HasSuffix(name, "/") {
		return "", fmt.Sprintf("%q names a folder, not a file: give a file name, such as reports/sigmagate.xml", name)
	}
	// What exists of the path, links followed, must stay inside too: the
	// longest part that exists, then the file's own link if it is one.
	real, err := resolveExisting(path)
	if err != nil {
		return "", fmt.Sprintf("%q cannot be written: %v; give a path whose folders are folders, or can be created", name, err)
	}
	if !within(ws, real) {
		return "", outside + " (a symbolic link leads out of it)"
	}
	return path, ""
}

// resolveExisting follows the symbolic links of the longest part of path
// that exists, and appends the rest.
func resolveExisting(path string) (string, error) {
	rest := ""
	for dir := path; ; {
		real, err := filepath.EvalSymlinks(dir)
		if err == nil {
			return filepath.Join(real, rest), nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return "", err
		}
		// A dangling link would be created where it points.
		if fi, lerr := os.Lstat(dir); lerr == nil && fi.Mode()&fs.ModeSymlink != 0 {
			return "", fmt.Errorf("%s is a symbolic link to nothing", dir)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", err
		}
		rest = filepath.Join(filepath.Base(dir), rest)
		dir = parent
	}
}

// within reports whether path is dir or inside it; both are clean and
// absolute.
func within(dir, path string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}
