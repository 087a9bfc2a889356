package dashboards

import (
	"bytes"
	"io/fs"
	"testing"
)

// TestFilesAreGenerated fails when a dashboard file differs from what its
// Go definition generates, or when a file has no definition: edit the
// definitions and run `make dashboards`.
func TestFilesAreGenerated(t *testing.T) {
	generated := map[string]bool{}
	for _, d := range All() {
		generated[d.FileName] = true
		want, err := Render(d)
		if err != nil {
			t.Fatal(err)
		}
		got, err := fs.ReadFile(Files, d.FileName)
		if err != nil {
			t.Errorf("%s: %v (run `make dashboards`)", d.FileName, err)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is stale: it differs from what its definition generates; run `make dashboards`", d.FileName)
		}
	}
	names, _ := fs.Glob(Files, "*.json")
	for _, n := range names {
		if !generated[n] {
			t.Errorf("%s has no Go definition in dashboards.All()", n)
		}
	}
}
