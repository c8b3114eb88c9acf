package action

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sigmagate/sigmagate/internal/config"
	"github.com/sigmagate/sigmagate/internal/policy"
	"github.com/sigmagate/sigmagate/internal/steptest"
	"github.com/sigmagate/sigmagate/report"
)

// readmeTable returns the first column and the second of the README table
// whose header starts with header, backticks removed.
func readmeTable(t *testing.T, header string) [][2]string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(steptest.Root(t), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	var rows [][2]string
	in := false
	for _, line := range strings.Split(string(data), "\n") {
		switch {
		case strings.HasPrefix(line, header):
			in = true
		case in && strings.HasPrefix(line, "|---"):
		case in && strings.HasPrefix(line, "|"):
			cells := strings.Split(line, "|")
			rows = append(rows, [2]string{strings.Trim(strings.TrimSpace(cells[1]), "`"), strings.Trim(strings.TrimSpace(cells[2]), "`")})
		case in:
			return rows
		}
	}
	if len(rows) == 0 {
		t.Fatalf("README.md has no table %q", header)
	}
	return rows
}

// TestInputsAgree holds action.yml, the code and the README to one list of
// inputs with the same defaults.
func TestInputsAgree(t *testing.T) {
	t.Parallel()
	type input struct{ Name, Default string }
	var fromAction, fromCode, fromReadme []input
	inputs, _ := steptest.ReadAction(t)
	for _, in := range inputs {
		fromAction = append(fromAction, input{in.Name, in.Default})
		if in.Required != (in.Name == "api-key" || in.Name == "agent-id") {
			t.Errorf("action.yml: input %s required: %v", in.Name, in.Required)
		}
	}
	for _, in := range config.Inputs() {
		def := in.Default
		if in.ActionDefault != "" {
			def = in.ActionDefault
		}
		fromCode = append(fromCode, input{in.Name, def})
	}
	for _, row := range readmeTable(t, "| input | default |") {
		def := row[1]
		if def == "required" || def == "empty" {
			def = ""
		}
		fromReadme = append(fromReadme, input{row[0], def})
	}
	if diff := cmp.Diff(fromAction, fromCode); diff != "" {
		t.Errorf("action.yml and config.Raw disagree (-action.yml +code):\n%s", diff)
	}
	if diff := cmp.Diff(fromAction, fromReadme); diff != "" {
		t.Errorf("action.yml and README.md disagree (-action.yml +README):\n%s", diff)
	}
}

// TestHelpIsTheDescription holds each input to one text: the flag's help
// (config.Raw's help tag), which --help shows, is action.yml's description,
// which the Marketplace and editors show, word for word.
func TestHelpIsTheDescription(t *testing.T) {
	t.Parallel()
	fromAction := map[string]string{}
	inputs, _ := steptest.ReadAction(t)
	for _, in := range inputs {
		fromAction[in.Name] = in.Description
	}
	fromCode := map[string]string{}
	for _, in := range config.Inputs() {
		fromCode[in.Name] = in.Help
		if in.Help == "" {
			t.Errorf("input %s has no help", in.Name)
		}
	}
	if diff := cmp.Diff(fromAction, fromCode); diff != "" {
		t.Errorf("action.yml's descriptions and config.Raw's help disagree (-action.yml +code):\n%s", diff)
	}
}

// TestOutputsAgree holds action.yml, the outputs the code sets and the
// README to one list.
func TestOutputsAgree(t *testing.T) {
	t.Parallel()
	_, fromAction := steptest.ReadAction(t)
	var fromCode, fromReadme []string
	for _, o := range outputs([]report.Result{{}}, policy.Decision{}) {
		fromCode = append(fromCode, o.Name)
	}
	for _, row := range readmeTable(t, "| output | value |") {
		fromReadme = append(fromReadme, row[0])
	}
	if diff := cmp.Diff(fromAction, fromCode); diff != "" {
		t.Errorf("action.yml and the code disagree (-action.yml +code):\n%s", diff)
	}
	if diff := cmp.Diff(fromAction, fromReadme); diff != "" {
		t.Errorf("action.yml and README.md disagree (-action.yml +README):\n%s", diff)
	}
}
