package prcomment_test

import (
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/sigmagate/sigmagate/internal/prcomment"
)

func TestMarker(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		ids  []string
		want string
	}{
		{"one", []string{"agent_D5D0p7TUs66TTAEAx"}, "<!-- sigmagate: agent_D5D0p7TUs66TTAEAx -->"},
		{"sorted", []string{"agent_b", "agent_a"}, "<!-- sigmagate: agent_a, agent_b -->"},
		{"deduplicated", []string{"agent_a", "agent_b", "agent_a"}, "<!-- sigmagate: agent_a, agent_b -->"},
		{"empty ids left out", []string{"", "agent_a", ""}, "<!-- sigmagate: agent_a -->"},
		{"none", nil, "<!-- sigmagate:  -->"},
		{"ends the comment", []string{"a-->b"}, "<!-- sigmagate: a-%2D%3Eb -->"},
		{"ends the comment, HTML5's other way", []string{"a--!>b"}, "<!-- sigmagate: a-%2D%21%3Eb -->"},
		{"opens another comment", []string{"<!--x"}, "<!-- sigmagate: %3C%21-%2Dx -->"},
		{"breaks the line", []string{"a\nb", "c\rd", "e\u2028f"}, "<!-- sigmagate: a%0Ab, c%0Dd, e%E2%80%A8f -->"},
		{"looks like two ids", []string{"a, b"}, "<!-- sigmagate: a%2C%20b -->"},
		{"percent is escaped too", []string{"a%2Cb"}, "<!-- sigmagate: a%252Cb -->"},
		{"single dashes stay", []string{"agent-1-2", "-x-"}, "<!-- sigmagate: -x-, agent-1-2 -->"},
		{"runs of dashes", []string{"---"}, "<!-- sigmagate: -%2D%2D -->"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tc.want, prcomment.Marker(tc.ids)); diff != "" {
				t.Errorf("Marker(%q) (-want +got):\n%s", tc.ids, diff)
			}
		})
	}
}

// Sets that differ get markers that differ, however their ids are spelt: a
// matrix job must never take over another job's comment.
func TestMarkerTellsSetsApart(t *testing.T) {
	t.Parallel()
	sets := [][]string{
		{"a", "b"}, {"a, b"}, {"a,b"}, {"a", "b", "c"}, {"a%2C%20b"}, {"a-", "-b"}, {"a--b"}, {"a-%2Db"},
		{"a"}, {"A"}, {"a "}, {" a"}, {"a\n"}, {"a", ""},
	}
	seen := map[string][]string{}
	for _, set := range sets {
		m := prcomment.Marker(set)
		if prev, ok := seen[m]; ok && !(len(set) == 2 && set[1] == "") {
			t.Errorf("%q and %q share the marker %q", prev, set, m)
		}
		seen[m] = set
	}
	if a, b := prcomment.Marker([]string{"x", "y", "z"}), prcomment.Marker([]string{"z", "x", "y", "x"}); a != b {
		t.Errorf("the same set in another order: %q, %q", a, b)
	}
}

func checkMarker(t *testing.T, ids []string, m string) {
	t.Helper()
	inner, ok := strings.CutPrefix(m, "<!-- ")
	if ok {
		inner, ok = strings.CutSuffix(inner, " -->")
	}
	switch {
	case !ok:
		t.Errorf("Marker(%q) = %q: not <!-- ... -->", ids, m)
	case strings.ContainsAny(m, "\n\r\u2028\u2029\x85"):
		t.Errorf("Marker(%q) = %q: more than one line", ids, m)
	case strings.Contains(inner, "--") || strings.Contains(inner, ">") || strings.Contains(inner, "<"):
		t.Errorf("Marker(%q) = %q: the comment could end or nest inside", ids, m)
	case strings.ContainsFunc(m, func(r rune) bool { return r < 0x20 || r > 0x7e }):
		t.Errorf("Marker(%q) = %q: not printable ASCII", ids, m)
	}
}

func normalise(ids []string) []string {
	var out []string
	for _, id := range ids {
		if id != "" {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func decode(t *testing.T, m string) []string {
	inner := strings.TrimSuffix(strings.TrimPrefix(m, "<!-- sigmagate: "), " -->")
	if inner == "" {
		return nil
	}
	var out []string
	for _, e := range strings.Split(inner, ", ") {
		id, err := url.PathUnescape(e)
		if err != nil {
			t.Fatalf("%q in %q: %v", e, m, err)
		}
		out = append(out, id)
	}
	return out
}

func FuzzMarker(f *testing.F) {
	for _, s := range []string{"agent_a\x00agent_b", "a-->b", "a\nb", "--", "-\x00-", "<!--", "--!>", "é\u2028"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, joined string) {
		ids := strings.Split(joined, "\x00")
		m := prcomment.Marker(ids)
		checkMarker(t, ids, m)
		reversed := make([]string, len(ids))
		for i, id := range ids {
			reversed[len(ids)-1-i] = id
		}
		if r := prcomment.Marker(reversed); r != m {
			t.Errorf("Marker(%q) = %q, but reversed %q", ids, m, r)
		}
		// The set can be read back: two sets never share a marker.
		if diff := cmp.Diff(normalise(ids), decode(t, m)); diff != "" {
			t.Errorf("Marker(%q) = %q reads back otherwise (-want +got):\n%s", ids, m, diff)
		}
	})
}
