// Package gzipjoin joins separately compressed pieces into one gzip member
// without compressing anything again: each piece is raw DEFLATE data ending
// with a sync flush (a non-final, byte-aligned block), so pieces concatenate
// into one DEFLATE stream; a final empty block and a trailer whose CRC-32 is
// combined from the pieces' CRCs close it. The result is a single-member
// gzip stream that every reader (curl, browsers, zlib, Go) reads whole,
// unlike a concatenation of gzip members, which some stop after the first.
package gzipjoin

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"io"

	"github.com/klauspost/compress/flate"
)

// Piece is compressed data that can be joined with others.
type Piece struct {
	// Deflate is raw DEFLATE data ending with a sync flush.
	Deflate []byte
	// CRC is the CRC-32 (IEEE) of the uncompressed data, Size its length.
	CRC  uint32
	Size int64
}

// header is a gzip member header: no name, no time, unknown OS.
var header = []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff}

// finalBlock is an empty final DEFLATE block (fixed Huffman codes).
var finalBlock = []byte{0x03, 0x00}

// Writer compresses one piece at a time. The zero value is not usable; use
// NewWriter.
type Writer struct {
	zw   *flate.Writer
	buf  bytes.Buffer
	crc  uint32
	size int64
}

// NewWriter returns a Writer compressing at level (flate.BestSpeed ...).
func NewWriter(level int) *Writer {
	zw, err := flate.NewWriter(nil, level)
	if err != nil {
		panic(err)
	}
	return &Writer{zw: zw}
}

// Start begins a new piece.
func (w *Writer) Start() {
	w.buf = bytes.Buffer{}
	w.zw.Reset(&w.buf)
	w.crc, w.size = 0, 0
}

// Write adds uncompressed data to the piece.
func (w *Writer) Write(p []byte) (int, error) {
	w.crc = crc32.Update(w.crc, crc32.IEEETable, p)
	w.size += int64(len(p))
	return w.zw.Write(p)
}

// Finish ends the piece with a sync flush and returns it; its Deflate bytes
// belong to the caller.
func (w *Writer) Finish() Piece {
	_ = w.zw.Flush()
	return Piece{Deflate: w.buf.Bytes(), CRC: w.crc, Size: w.size}
}

// Compress compresses b into one piece.
func Compress(b []byte, level int) Piece {
	w := NewWriter(level)
	w.Start()
	_, _ = w.Write(b)
	return w.Finish()
}

// Join concatenates pieces into one.
func Join(pieces ...Piece) Piece {
	n := 0
	for _, p := range pieces {
		n += len(p.Deflate)
	}
	out := Piece{Deflate: make([]byte, 0, n)}
	for _, p := range pieces {
		out.Deflate = append(out.Deflate, p.Deflate...)
		out.CRC = Combine(out.CRC, p.CRC, p.Size)
		out.Size += p.Size
	}
	return out
}

// GzipSize is the length of WriteGzip's output for pieces.
func GzipSize(pieces ...Piece) int {
	n := len(header) + len(finalBlock) + 8
	for _, p := range pieces {
		n += len(p.Deflate)
	}
	return n
}

// WriteGzip writes pieces, in order, as one gzip member.
func WriteGzip(w io.Writer, pieces ...Piece) error {
	if _, err := w.Write(header); err != nil {
		return err
	}
	crc, size := uint32(0), int64(0)
	for _, p := range pieces {
		if _, err := w.Write(p.Deflate); err != nil {
			return err
		}
		crc = Combine(crc, p.CRC, p.Size)
		size += p.Size
	}
	var trailer [2 + 8]byte
	copy(trailer[:], finalBlock)
	binary.LittleEndian.PutUint32(trailer[2:], crc)
	binary.LittleEndian.PutUint32(trailer[6:], uint32(size))
	_, err := w.Write(trailer[:])
	return err
}

// Reader returns the uncompressed data of p.
func Reader(p Piece) io.ReadCloser {
	return flate.NewReader(io.MultiReader(bytes.NewReader(p.Deflate), bytes.NewReader(finalBlock)))
}

// Combine returns the CRC-32 (IEEE) of the concatenation of two byte
// sequences from their CRCs and the length of the second: crc1 is advanced
// over len2 zero bytes (by repeated squaring of the operator that shifts a
// CRC by one zero bit, in GF(2)) and XORed with crc2.
func Combine(crc1, crc2 uint32, len2 int64) uint32 {
	if len2 <= 0 {
		return crc1 ^ crc2
	}
	var even, odd [32]uint32 // operators for 2^k zero bits
	odd[0] = 0xedb88320      // the reflected IEEE polynomial: one zero bit
	row := uint32(1)
	for n := 1; n < 32; n++ {
		odd[n] = row
		row <<= 1
	}
	square(&even, &odd) // two zero bits
	square(&odd, &even) // four zero bits
	for {
		square(&even, &odd) // one more doubling: a zero byte, then 2, 4, ...
		if len2&1 != 0 {
			crc1 = times(&even, crc1)
		}
		len2 >>= 1
		if len2 == 0 {
			break
		}
		square(&odd, &even)
		if len2&1 != 0 {
			crc1 = times(&odd, crc1)
		}
		len2 >>= 1
		if len2 == 0 {
			break
		}
	}
	return crc1 ^ crc2
}

func times(mat *[32]uint32, vec uint32) uint32 {
	var sum uint32
	for i := 0; vec != 0; i, vec = i+1, vec>>1 {
		if vec&1 != 0 {
			sum ^= mat[i]
		}
	}
	return sum
}

func square(dst, mat *[32]uint32) {
	for n := range dst {
		dst[n] = times(mat, mat[n])
	}
}
