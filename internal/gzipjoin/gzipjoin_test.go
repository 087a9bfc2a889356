package gzipjoin

import (
	"bytes"
	"compress/gzip"
	"hash/crc32"
	"io"
	"math/rand"
	"strings"
	"testing"

	"github.com/klauspost/compress/flate"
)

func TestCombine(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	for _, n := range [][2]int{{0, 0}, {0, 5}, {5, 0}, {1, 1}, {100, 3}, {7, 100000}, {70000, 1 << 20}} {
		a, b := make([]byte, n[0]), make([]byte, n[1])
		r.Read(a)
		r.Read(b)
		want := crc32.ChecksumIEEE(append(append([]byte{}, a...), b...))
		if got := Combine(crc32.ChecksumIEEE(a), crc32.ChecksumIEEE(b), int64(len(b))); got != want {
			t.Errorf("%v: %08x, want %08x", n, got, want)
		}
	}
}

// TestJoinedPiecesAreOneGzipMember: the standard library's reader, told to
// read one member only, reads every piece, and the CRC and size check out.
func TestJoinedPiecesAreOneGzipMember(t *testing.T) {
	parts := []string{"# HELP a A.\n# TYPE a gauge\n", strings.Repeat("a{x=\"1\"} 1\n", 50000), "", "# EOF\n"}
	var pieces []Piece
	w := NewWriter(flate.BestSpeed)
	for _, p := range parts[:2] {
		w.Start()
		_, _ = w.Write([]byte(p))
		pieces = append(pieces, w.Finish())
	}
	joined := Join(pieces...)
	all := []Piece{joined, Compress([]byte(parts[2]), flate.BestSpeed), Compress([]byte(parts[3]), flate.BestSpeed)}
	var out bytes.Buffer
	if err := WriteGzip(&out, all...); err != nil {
		t.Fatal(err)
	}
	if out.Len() != GzipSize(all...) {
		t.Errorf("GzipSize %d, wrote %d", GzipSize(all...), out.Len())
	}
	zr, err := gzip.NewReader(&out)
	if err != nil {
		t.Fatal(err)
	}
	zr.Multistream(false)
	got, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.Join(parts, ""); string(got) != want {
		t.Errorf("got %d bytes, want %d", len(got), len(want))
	}
	plain, err := io.ReadAll(Reader(joined))
	if err != nil || string(plain) != parts[0]+parts[1] {
		t.Errorf("Reader: %d bytes, %v", len(plain), err)
	}
}
