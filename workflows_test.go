package main

import (
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sigmagate/sigmagate/internal/action"
)

// These tests hold the workflows, the Dockerfile and the release config to
// the properties the release depends on. The files are read line by line in
// their own plain layout (two-space indents, one key per line); anything
// else fails rather than being guessed at.

func readLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(string(b), "\n")
}

var (
	usesLine = regexp.MustCompile(`^\s*(?:- )?uses:\s*(\S+)(.*)$`)
	// owner/repo[/path]@<40 hex> # vX.Y.Z
	pinnedUses = regexp.MustCompile(`^([A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+(?:/[A-Za-z0-9_./-]+)?)@([0-9a-f]{40})$`)
	versionTag = regexp.MustCompile(`^\s+# (v\d+\.\d+\.\d+)$`)
)

// pin is a third-party action as a workflow pins it.
type pin struct{ SHA, Version string }

// checkPins returns the pins of the third-party actions in a workflow, and
// a problem for every uses: that is not pinned by a full commit SHA with its
// version in a comment. A tag or a branch can be moved to other code; a SHA
// cannot, and the comment tells which release it is.
func checkPins(lines []string) (map[string]pin, []string) {
	pins := map[string]pin{}
	var problems []string
	for i, line := range lines {
		m := usesLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		ref, rest := strings.Trim(m[1], `'"`), m[2]
		if strings.HasPrefix(ref, "./") {
			continue // this repository's own action
		}
		p := pinnedUses.FindStringSubmatch(ref)
		v := versionTag.FindStringSubmatch(rest)
		switch {
		case strings.HasPrefix(ref, "docker://"):
			problems = append(problems, fmt.Sprintf("line %d: %s: run images through a pinned action or the Dockerfile", i+1, ref))
		case p == nil:
			problems = append(problems, fmt.Sprintf("line %d: %s is not pinned by a full commit SHA", i+1, ref))
		case v == nil:
			problems = append(problems, fmt.Sprintf("line %d: %s has no version comment (# vX.Y.Z)", i+1, ref))
		default:
			if old, ok := pins[p[1]]; ok && old != (pin{p[2], v[1]}) {
				problems = append(problems, fmt.Sprintf("line %d: %s is pinned twice, at %s and %s", i+1, p[1], old.Version, v[1]))
			}
			pins[p[1]] = pin{p[2], v[1]}
		}
	}
	return pins, problems
}

// workflow is what the tests need of a workflow file.
type workflow struct {
	Permissions string                       // the top-level permissions, inline
	Jobs        map[string]map[string]string // job id -> scope -> access
	jobLines    map[string][]string
}

// readWorkflow parses the top-level permissions and each job's. A job
// without a permissions block has a nil map.
func readWorkflow(lines []string) (workflow, []string) {
	w := workflow{Jobs: map[string]map[string]string{}, jobLines: map[string][]string{}}
	var problems []string
	top, job, inPerms := "", "", false
	for i, line := range lines {
		code, _, _ := strings.Cut(line, " #")
		if strings.TrimSpace(code) == "" || strings.HasPrefix(strings.TrimSpace(code), "#") {
			continue
		}
		indent := len(code) - len(strings.TrimLeft(code, " "))
		key, value, _ := strings.Cut(strings.TrimSpace(code), ":")
		value = strings.TrimSpace(value)
		switch {
		case indent == 0:
			top, job, inPerms = key, "", false
			if key == "permissions" {
				w.Permissions = value
			}
		case top == "jobs" && indent == 2:
			job, inPerms = key, false
			if _, dup := w.Jobs[job]; dup {
				problems = append(problems, fmt.Sprintf("line %d: job %s twice", i+1, job))
			}
			w.Jobs[job] = nil
		case job != "" && indent == 4:
			inPerms = key == "permissions"
			if inPerms {
				w.Jobs[job] = map[string]string{}
				if value != "" && value != "{}" {
					problems = append(problems, fmt.Sprintf("line %d: job %s: permissions: %s; list each scope", i+1, job, value))
				}
			}
		case inPerms && indent == 6:
			w.Jobs[job][key] = value
		}
		if job != "" {
			w.jobLines[job] = append(w.jobLines[job], line)
		}
	}
	return w, problems
}

func TestWorkflowPins(t *testing.T) {
	t.Parallel()
	all := map[string]pin{}
	for _, path := range []string{".github/workflows/ci.yml", ".github/workflows/release.yml"} {
		pins, problems := checkPins(readLines(t, path))
		for _, p := range problems {
			t.Errorf("%s: %s", path, p)
		}
		if len(pins) == 0 {
			t.Errorf("%s: no third-party action found: the check would pass vacuously", path)
		}
		for uses, p := range pins {
			if old, ok := all[uses]; ok && old != p {
				t.Errorf("%s pins %s at %s (%s), another workflow at %s (%s): keep one", path, uses, p.Version, p.SHA, old.Version, old.SHA)
			}
			all[uses] = p
		}
	}
}

// TestWorkflowPermissions holds every job to the least it needs: nothing by
// default, contents: read to check out, and writes only where a job pushes,
// signs or publishes.
func TestWorkflowPermissions(t *testing.T) {
	t.Parallel()
	read := map[string]string{"contents": "read"}
	tests := []struct {
		path string
		want map[string]map[string]string
	}{
		{".github/workflows/ci.yml", map[string]map[string]string{"test": read, "image": read, "action": read}},
		{".github/workflows/release.yml", map[string]map[string]string{
			"test":     read,
			"image":    {"contents": "read", "packages": "write", "id-token": "write", "attestations": "write"},
			"publish":  {"contents": "write"},
			"archives": {"contents": "write", "id-token": "write", "attestations": "write"},
			"major":    {"contents": "write", "packages": "write"},
		}},
	}
	for _, tt := range tests {
		w, problems := readWorkflow(readLines(t, tt.path))
		for _, p := range problems {
			t.Errorf("%s: %s", tt.path, p)
		}
		if w.Permissions != "{}" {
			t.Errorf("%s: top-level permissions = %q, want {} so that a job gets only what it lists", tt.path, w.Permissions)
		}
		if diff := cmp.Diff(tt.want, w.Jobs); diff != "" {
			t.Errorf("%s: job permissions (-want +got):\n%s", tt.path, diff)
		}
	}
}

// jobHas reports whether a line of the job, trimmed, is one of want.
func jobHas(w workflow, job string, want ...string) bool {
	for _, line := range w.jobLines[job] {
		if slices.Contains(want, strings.TrimSpace(line)) {
			return true
		}
	}
	return false
}

// jobSteps splits a job's lines into its steps (each starts "      - ").
func jobSteps(w workflow, job string) [][]string {
	var steps [][]string
	for _, line := range w.jobLines[job] {
		switch {
		case strings.HasPrefix(line, "      - "):
			steps = append(steps, []string{line})
		case len(steps) > 0:
			steps[len(steps)-1] = append(steps[len(steps)-1], line)
		}
	}
	return steps
}

// lineIndex is the index of the first line of lines that is want once
// trimmed, or -1.
func lineIndex(lines []string, want string) int {
	return slices.IndexFunc(lines, func(l string) bool { return strings.TrimSpace(l) == want })
}

// The lines of release.yml that the checks below name.
const (
	relRefuseTag      = `if git rev-parse -q --verify "refs/tags/$TAG" >/dev/null; then`
	relOnMain         = `[ "$GITHUB_REF" = refs/heads/main ] ||`
	relImageIsNew     = `if out=$(docker buildx imagetools inspect "$IMAGE:$TAG" 2>&1); then`
	relImageTag       = `type=raw,value=${{ inputs.version }}`
	relRewrite        = `sed -i "s|^  image: 'Dockerfile'\$|  image: '$ref'|" action.yml`
	relCommit         = `git commit -q -m "Release $TAG: the action runs the published image" \`
	relCreateTag      = `git tag -a "$TAG" -m "sigmagate $TAG" "$commit"`
	relPushTag        = `git push origin "refs/tags/$TAG"`
	relGuardV0        = `if [ "$major" = v0 ]; then`
	relGuardNewest    = `if [ "$newest" != "$TAG" ]; then`
	relGuarded        = `if: steps.guard.outputs.move == 'true'`
	relMoveImage      = `docker buildx imagetools create -t "$IMAGE:$MAJOR" "$IMAGE@$DIGEST"`
	relMoveTag        = `git push --force origin "refs/tags/$MAJOR"`
	relDispatchHeader = "\non:\n  workflow_dispatch:\n    inputs:\n      version:\n"
)

// releaseProblems says which of the properties the release depends on
// release.yml no longer has.
func releaseProblems(lines []string) []string {
	w, _ := readWorkflow(lines)
	text := strings.Join(lines, "\n")
	var problems []string
	check := func(ok bool, what string) {
		if !ok {
			problems = append(problems, what)
		}
	}

	// Asked for, on main, for a version that does not exist: the tag
	// vX.Y.Z is the workflow's output, never its trigger.
	check(strings.Contains(text, relDispatchHeader) && !strings.Contains(text, "\n  push:") && !strings.Contains(text, "\n  workflow_run:"),
		"runs on workflow_dispatch with a version, and on nothing else")
	check(jobHas(w, "test", relRefuseTag) && jobHas(w, "test", relOnMain), "refuses a version that exists, or a ref other than main")
	check(jobHas(w, "test", "- run: .ci/run") && jobHas(w, "image", "needs: test"), "tests first")

	// The image: tested as the runner runs it, both platforms, stamped,
	// attested, pushed under the full version only and never over an
	// earlier push.
	check(jobHas(w, "image", `run: testdata/e2e/docker-run.sh sigmagate:release "$TAG"`), "runs the image as the runner does before pushing")
	check(jobHas(w, "image", "platforms: linux/amd64,linux/arm64") && jobHas(w, "image", "push: true"), "pushes both platforms")
	check(jobHas(w, "image", "build-args: VERSION=${{ inputs.version }}"), "stamps the version")
	check(jobHas(w, "image", "subject-digest: ${{ steps.build.outputs.digest }}") && jobHas(w, "image", "push-to-registry: true"), "attests the image")
	check(jobHas(w, "image", relImageIsNew), "refuses to push over an existing image tag")
	check(jobHas(w, "image", relImageTag) && !strings.Contains(text, "{{major}}") && !strings.Contains(text, "type=semver"),
		"pushes the image under the full version only (the major job moves :vX)")

	// The tag vX.Y.Z: made once, on the release commit, after action.yml
	// names the image by digest; never forced.
	publish := w.jobLines["publish"]
	rewrite, commit, create, push := lineIndex(publish, relRewrite), lineIndex(publish, relCommit), lineIndex(publish, relCreateTag), lineIndex(publish, relPushTag)
	check(rewrite >= 0 && commit > rewrite && create > commit && push > create,
		"creates the tag vX.Y.Z after the release commit that writes the digest into action.yml")
	var tagLines []string
	for _, l := range lines {
		if l := strings.TrimSpace(l); strings.Contains(l, "$TAG") && (strings.HasPrefix(l, "git tag") || strings.HasPrefix(l, "git push")) {
			tagLines = append(tagLines, l)
		}
	}
	check(slices.Equal(tagLines, []string{relCreateTag, relPushTag}), "creates and pushes the tag vX.Y.Z in one place only, never forced")
	var forced []string
	for _, l := range lines {
		if l := strings.TrimSpace(l); (strings.HasPrefix(l, "git push") || strings.HasPrefix(l, "git tag")) &&
			(strings.Contains(l, " -f") || strings.Contains(l, "--force") || strings.Contains(l, " +")) {
			forced = append(forced, l)
		}
	}
	check(slices.Equal(forced, []string{`git tag -f "$MAJOR" "$COMMIT"`, relMoveTag}), "forces nothing but the major tag")
	check(jobHas(w, "archives", "ref: ${{ needs.publish.outputs.commit }}"), "archives from the release commit")
	check(jobHas(w, "archives", "subject-checksums: dist/checksums.txt"), "attests the archives")

	// The major tags, git and image: moved last, together, only past the
	// guard, from the digest that was pushed.
	check(jobHas(w, "major", "needs: [image, publish, archives]"), "moves the major tags last")
	guardStep, moveStep := -1, -1
	var guard, move []string
	for i, st := range jobSteps(w, "major") {
		if lineIndex(st, "id: guard") >= 0 {
			guardStep, guard = i, st
		}
		if lineIndex(st, relMoveImage) >= 0 {
			moveStep, move = i, st
		}
	}
	check(guardStep >= 0 && lineIndex(guard, relGuardV0) >= 0 && lineIndex(guard, relGuardNewest) >= 0,
		"guards the major tags against older lines and v0")
	check(moveStep > guardStep && lineIndex(move, relGuarded) >= 0 && lineIndex(move, relMoveTag) >= 0,
		"moves the image tag :vX and the git tag vX in one step, after the guard and only past it")
	check(strings.Count(text, "imagetools create") == 1 && strings.Count(text, "refs/tags/$MAJOR") == 1,
		"moves the major tags nowhere else")
	return problems
}

func TestReleaseWorkflow(t *testing.T) {
	t.Parallel()
	for _, p := range releaseProblems(readLines(t, ".github/workflows/release.yml")) {
		t.Errorf("release.yml no longer %s", p)
	}
}

// TestReleaseChecksCatch breaks release.yml in the ways that matter and
// wants releaseProblems to say so.
func TestReleaseChecksCatch(t *testing.T) {
	t.Parallel()
	orig := strings.Join(readLines(t, ".github/workflows/release.yml"), "\n")
	tests := []struct {
		name, old, new, want string
	}{
		{"image major tag from metadata-action", "type=raw,value=${{ inputs.version }}\n",
			"type=raw,value=${{ inputs.version }}\n            type=semver,pattern=v{{major}},value=${{ inputs.version }}\n", "full version only"},
		{"triggered by the version tag", "on:\n  workflow_dispatch:", "on:\n  push:\n    tags: ['v*']\n  workflow_dispatch:", "on nothing else"},
		{"no refusal of an existing version", relRefuseTag, `if false; then`, "refuses a version that exists"},
		{"image pushed over an earlier one", relImageIsNew, `if false; then`, "existing image tag"},
		{"version tag forced", relPushTag, `git push --force origin "refs/tags/$TAG"`, "never forced"},
		{"version tag made before the rewrite", "          " + relRewrite + "\n", "", "after the release commit"},
		{"version tag made twice", relPushTag + "\n", relPushTag + "\n          git tag -f \"$TAG\" \"$commit\"\n", "one place only"},
		{"major move unguarded", "      - name: Move the image tag and the git tag\n        " + relGuarded + "\n",
			"      - name: Move the image tag and the git tag\n", "only past it"},
		{"no v0 rule", relGuardV0, `if false; then`, "older lines and v0"},
		{"major image tag moved elsewhere", "          provenance: false\n",
			"          provenance: false\n      - run: docker buildx imagetools create -t \"$IMAGE:v1\" \"$IMAGE@$DIGEST\"\n", "nowhere else"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if !strings.Contains(orig, tt.old) {
				t.Fatalf("release.yml has no %q to break", tt.old)
			}
			broken := strings.Replace(orig, tt.old, tt.new, 1)
			got := strings.Join(releaseProblems(strings.Split(broken, "\n")), "; ")
			if !strings.Contains(got, tt.want) {
				t.Errorf("problems = %q, want one saying %q", got, tt.want)
			}
		})
	}
}

func TestCIWorkflow(t *testing.T) {
	t.Parallel()
	w, _ := readWorkflow(readLines(t, ".github/workflows/ci.yml"))
	checks := []struct {
		what string
		ok   bool
	}{
		{"runs .ci/run", jobHas(w, "test", "- run: .ci/run")},
		{"checks the GoReleaser config", jobHas(w, "test", "args: check")},
		{"builds both platforms", jobHas(w, "image", "platforms: linux/amd64,linux/arm64")},
		{"runs the image as the runner does", jobHas(w, "image", "run: testdata/e2e/docker-run.sh sigmagate:ci ci")},
		{"uses the action itself", jobHas(w, "action", "uses: ./")},
		{"serves the fake inside the action's container", jobHas(w, "action", action.FakeAPIEnv+": 127.0.0.1:8089")},
	}
	for _, c := range checks {
		if !c.ok {
			t.Errorf("ci.yml no longer %s", c.what)
		}
	}
}

// TestMainBuildsFromDockerfile: main's action.yml builds the Dockerfile;
// only the release commit runs a published image, and the release finds
// the line it rewrites.
func TestMainBuildsFromDockerfile(t *testing.T) {
	t.Parallel()
	var images []string
	for _, line := range readLines(t, "action.yml") {
		if strings.HasPrefix(strings.TrimSpace(line), "image:") {
			images = append(images, line)
		}
	}
	if diff := cmp.Diff([]string{"  image: 'Dockerfile'"}, images); diff != "" {
		t.Errorf("action.yml image lines (-want +got):\n%s", diff)
	}
}

func TestDockerfile(t *testing.T) {
	t.Parallel()
	type stage struct {
		from  string
		lines []string
	}
	var stages []stage
	for _, line := range readLines(t, "Dockerfile") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasPrefix(line, "FROM ") {
			stages = append(stages, stage{from: line})
			continue
		}
		if len(stages) == 0 {
			t.Fatalf("Dockerfile: %q before the first FROM", line)
		}
		stages[len(stages)-1].lines = append(stages[len(stages)-1].lines, line)
	}
	if len(stages) != 2 {
		t.Fatalf("Dockerfile has %d stages, want a build stage and the final one", len(stages))
	}
	build, final := stages[0], stages[1]
	pinned := regexp.MustCompile(`^FROM --platform=\$BUILDPLATFORM [a-z0-9./-]+:[0-9.]+@sha256:[0-9a-f]{64} AS build$`)
	if !pinned.MatchString(build.from) {
		t.Errorf("build stage %q: want FROM --platform=$BUILDPLATFORM image:tag@sha256:<digest> AS build, so that it runs natively and is pinned", build.from)
	}
	if !slices.ContainsFunc(build.lines, func(l string) bool { return strings.Contains(l, "GOOS=$TARGETOS GOARCH=$TARGETARCH") }) {
		t.Error("build stage does not cross-compile for TARGETOS/TARGETARCH")
	}
	if final.from != "FROM scratch" {
		t.Errorf("final stage %q: every other base needs a digest pin", final.from)
	}
	for _, l := range final.lines {
		switch {
		case strings.HasPrefix(l, "COPY --from=build "):
		case l == `ENTRYPOINT ["/sigmagate"]`:
		default:
			// RUN would need emulation for the other platform, USER breaks
			// the runner's file commands, a shell entrypoint drops inputs
			// with hyphens.
			t.Errorf("final stage: %q; it may only copy from the build stage and set the exec-form ENTRYPOINT", l)
		}
	}
	if final.lines[len(final.lines)-1] != `ENTRYPOINT ["/sigmagate"]` {
		t.Error(`final stage does not end with ENTRYPOINT ["/sigmagate"]`)
	}
}

func TestGoReleaserConfig(t *testing.T) {
	t.Parallel()
	lines := readLines(t, ".goreleaser.yaml")
	has := func(want string) bool { return slices.Contains(lines, want) }
	for _, want := range []string{
		"version: 2",
		"    goos: [linux, darwin, windows]",
		"    goarch: [amd64, arm64]",
		"      - CGO_ENABLED=0",
		"      - -s -w -X main.version={{ .Tag }}",
		"  name_template: checksums.txt",
		"  algorithm: sha256",
	} {
		if !has(want) {
			t.Errorf(".goreleaser.yaml has no line %q", want)
		}
	}
}

func TestDependabot(t *testing.T) {
	t.Parallel()
	var got []string
	for _, line := range readLines(t, ".github/dependabot.yml") {
		if eco, ok := strings.CutPrefix(line, "  - package-ecosystem: "); ok {
			got = append(got, eco)
		}
	}
	if diff := cmp.Diff([]string{"gomod", "github-actions", "docker"}, got); diff != "" {
		t.Errorf("dependabot ecosystems (-want +got):\n%s", diff)
	}
}

// TestWorkflowChecksCatch feeds the checks the mistakes they exist for.
func TestWorkflowChecksCatch(t *testing.T) {
	t.Parallel()
	const sha = "3d3c42e5aac5ba805825da76410c181273ba90b1"
	pinTests := []struct {
		line, want string
	}{
		{"      - uses: actions/checkout@" + sha + " # v7.0.1", ""},
		{"      - uses: ./", ""},
		{"      - uses: actions/checkout@v7", "not pinned by a full commit SHA"},
		{"      - uses: actions/checkout@main # v7.0.1", "not pinned by a full commit SHA"},
		{"      - uses: actions/checkout@" + sha[:12] + " # v7.0.1", "not pinned by a full commit SHA"},
		{"      - uses: actions/checkout@" + strings.ToUpper(sha) + " # v7.0.1", "not pinned by a full commit SHA"},
		{"      - uses: actions/checkout@" + sha, "no version comment"},
		{"      - uses: actions/checkout@" + sha + " # latest", "no version comment"},
		{"        uses: docker://alpine:3", "run images through a pinned action"},
	}
	for _, tt := range pinTests {
		_, problems := checkPins([]string{tt.line})
		got := strings.Join(problems, "; ")
		if tt.want == "" && got != "" || tt.want != "" && !strings.Contains(got, tt.want) {
			t.Errorf("checkPins(%q) = %q, want %q", tt.line, got, tt.want)
		}
	}
	_, problems := checkPins([]string{
		"      - uses: actions/checkout@" + sha + " # v7.0.1",
		"      - uses: actions/checkout@" + strings.Repeat("a", 40) + " # v6.0.0",
	})
	if len(problems) != 1 || !strings.Contains(problems[0], "pinned twice") {
		t.Errorf("two pins of one action: %q", problems)
	}

	w, problems := readWorkflow(strings.Split(`permissions:
  contents: write
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - run: echo
  b:
    permissions: write-all
  c:
    permissions:
      contents: read # to check out
      packages: write`, "\n"))
	want := workflow{Permissions: "", Jobs: map[string]map[string]string{"a": nil, "b": {}, "c": {"contents": "read", "packages": "write"}}}
	if diff := cmp.Diff(want, w, cmp.AllowUnexported(workflow{}), cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".jobLines" }, cmp.Ignore())); diff != "" {
		t.Errorf("readWorkflow (-want +got):\n%s", diff)
	}
	if len(problems) != 1 || !strings.Contains(problems[0], "permissions: write-all") {
		t.Errorf("readWorkflow problems = %q, want one about write-all", problems)
	}
}
