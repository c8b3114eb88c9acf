package main

import (
	"bufio"
	"os"
	"strings"
	"testing"
)

// actionInput is one input of action.yml.
type actionInput struct {
	Name, Default string
	Required      bool
}

// readAction reads the inputs and outputs of action.yml. It understands the
// file's own plain layout (two-space indents, quoted scalars) and fails on
// anything else rather than guess.
func readAction(t *testing.T) (inputs []actionInput, outputs []string) {
	t.Helper()
	f, err := os.Open("action.yml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	section := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.TrimSpace(line) == "" || strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		indent := len(line) - len(strings.TrimLeft(line, " "))
		key, value, _ := strings.Cut(strings.TrimSpace(line), ":")
		value = unquote(t, strings.TrimSpace(value))
		switch {
		case indent == 0:
			section = key
		case indent == 2 && section == "inputs":
			inputs = append(inputs, actionInput{Name: key})
		case indent == 2 && section == "outputs":
			outputs = append(outputs, key)
		case indent == 4 && section == "inputs":
			in := &inputs[len(inputs)-1]
			switch key {
			case "default":
				in.Default = value
			case "required":
				in.Required = value == "true"
			case "description":
			default:
				t.Fatalf("action.yml: input %s has an unexpected key %q", in.Name, key)
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(inputs) == 0 || len(outputs) == 0 {
		t.Fatalf("action.yml: found %d inputs and %d outputs", len(inputs), len(outputs))
	}
	return inputs, outputs
}

func unquote(t *testing.T, s string) string {
	if len(s) >= 2 && s[0] == '\'' && s[len(s)-1] == '\'' {
		return strings.ReplaceAll(s[1:len(s)-1], "''", "'")
	}
	if strings.HasPrefix(s, "\"") {
		t.Fatalf("action.yml: use single quotes: %s", s)
	}
	return s
}
