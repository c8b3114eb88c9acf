package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestInWorkspace: a report file may be written only inside the workspace,
// whatever the path says and wherever its links lead.
func TestInWorkspace(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	ws := filepath.Join(root, "ws")
	outside := filepath.Join(root, "outside")
	for _, d := range []string{filepath.Join(ws, "reports"), outside} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	links := map[string]string{
		"out":               outside,                                // a folder link leading out
		"reports/file.xml":  filepath.Join(outside, "x.xml"),        // a file link leading out (dangling)
		"reports/self":      filepath.Join(ws, "reports"),           // a link that stays inside
		"reports/up":        "..",                                   // relative, inside
		"reports/upup":      "../..",                                // relative, out
		"reports/etc.json":  "/etc/passwd",                          // an existing file outside
		"reports/loop.json": filepath.Join(ws, "reports/loop.json"), // a link to itself
	}
	for name, target := range links {
		if err := os.Symlink(target, filepath.Join(ws, name)); err != nil {
			t.Fatal(err)
		}
	}
	for _, tt := range []struct {
		name    string
		want    string // the path, relative to ws; "" when refused
		problem string
	}{
		{"report.xml", "report.xml", ""},
		{"reports/new/deeper/report.xml", "reports/new/deeper/report.xml", ""},
		{"./reports/../reports/r.json", "reports/r.json", ""},
		{filepath.Join(ws, "abs.json"), "abs.json", ""},
		{"reports/self/r.xml", "reports/self/r.xml", ""},
		{"reports/up/r.xml", "reports/up/r.xml", ""},
		{"../report.xml", "", "outside the workspace"},
		{"reports/../../report.xml", "", "outside the workspace"},
		{filepath.Join(outside, "r.xml"), "", "outside the workspace"},
		{"/tmp/r.xml", "", "outside the workspace"},
		{"out/r.xml", "", "a symbolic link leads out"},
		{"out/new/r.xml", "", "a symbolic link leads out"},
		{"reports/upup/r.xml", "", "a symbolic link leads out"},
		{"reports/etc.json", "", "a symbolic link leads out"},
		{"reports/file.xml", "", "symbolic link to nothing"},
		{"reports/loop.json", "", "cannot be written"},
		{".", "", "names a folder"},
		{"reports/", "", "names a folder"},
	} {
		path, problem := InWorkspace(ws, tt.name)
		want := ""
		if tt.want != "" {
			want = filepath.Join(ws, tt.want)
		}
		if path != want || (tt.problem == "") != (problem == "") || !strings.Contains(problem, tt.problem) {
			t.Errorf("InWorkspace(%q) = %q, %q; want %q and a problem with %q", tt.name, path, problem, want, tt.problem)
		}
	}
}

// TestParseFiles: the paths are checked with every other input, against
// the working directory, and the two reports may not share one.
func TestParseFiles(t *testing.T) {
	t.Parallel()
	r := valid()
	r.JUnitFile, r.ReportFile = "../junit.xml", "/etc/sigmagate.json"
	_, err := Parse(r)
	if err == nil || !strings.Contains(err.Error(), "input junit-file: \"../junit.xml\" is outside the workspace") ||
		!strings.Contains(err.Error(), "input report-file: \"/etc/sigmagate.json\" is outside the workspace") {
		t.Errorf("Parse: %v, want both paths refused", err)
	}
	r.JUnitFile, r.ReportFile = "out/r", "./out/r"
	if _, err := Parse(r); err == nil || !strings.Contains(err.Error(), "is also junit-file") {
		t.Errorf("Parse: %v, want the shared path refused", err)
	}
	r.JUnitFile, r.ReportFile = "out/junit.xml", "out/report.json"
	c, err := Parse(r)
	wd, _ := os.Getwd()
	if err != nil || c.JUnitFile != filepath.Join(wd, "out/junit.xml") || c.ReportFile != filepath.Join(wd, "out/report.json") {
		t.Errorf("Parse: %v, %q, %q", err, c.JUnitFile, c.ReportFile)
	}
}
