package canary

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// InstanceIDSize is the length of an instance id in bytes.
const InstanceIDSize = 16

// InstanceID identifies one exporter process: a new random one per start, so
// a restarted exporter never judges an earlier run's messages.
type InstanceID [InstanceIDSize]byte

// String is the id in hex.
func (id InstanceID) String() string { return fmt.Sprintf("%x", id[:]) }

// Message is one canary message.
type Message struct {
	Instance  InstanceID
	Partition int32
	Seq       uint64    // per-partition sequence number, from 0 in each run
	SentAt    time.Time // when the producer sent it (UTC, nanoseconds)
}

// Wire format, version 1, big-endian, 41 bytes:
//
//	offset size field
//	0      4    magic "KLEC"
//	4      1    version (1)
//	5      16   instance id
//	21     4    partition (int32)
//	25     8    sequence number (uint64)
//	33     8    send time, Unix nanoseconds (int64)
const (
	codecVersion = 1
	messageSize  = 41
)

var magic = [4]byte{'K', 'L', 'E', 'C'}

// Decode errors.
var (
	ErrNotCanary          = errors.New("not a canary message (bad magic)")
	ErrUnsupportedVersion = errors.New("unsupported canary message version")
	ErrBadLength          = errors.New("bad canary message length")
	ErrBadPartition       = errors.New("negative partition in canary message")
)

// Encode returns the wire form of m.
func (m Message) Encode() []byte {
	b := make([]byte, messageSize)
	copy(b[0:4], magic[:])
	b[4] = codecVersion
	copy(b[5:21], m.Instance[:])
	binary.BigEndian.PutUint32(b[21:25], uint32(m.Partition))
	binary.BigEndian.PutUint64(b[25:33], m.Seq)
	binary.BigEndian.PutUint64(b[33:41], uint64(m.SentAt.UnixNano()))
	return b
}

// DecodeMessage parses a canary message. It returns an error, never panics,
// for any input that is not a version 1 canary message.
func DecodeMessage(b []byte) (Message, error) {
	var m Message
	if len(b) < 5 {
		return m, fmt.Errorf("%w: %d bytes", ErrBadLength, len(b))
	}
	if [4]byte(b[0:4]) != magic {
		return m, ErrNotCanary
	}
	if b[4] != codecVersion {
		return m, fmt.Errorf("%w %d", ErrUnsupportedVersion, b[4])
	}
	if len(b) != messageSize {
		return m, fmt.Errorf("%w: %d bytes, want %d", ErrBadLength, len(b), messageSize)
	}
	copy(m.Instance[:], b[5:21])
	m.Partition = int32(binary.BigEndian.Uint32(b[21:25]))
	if m.Partition < 0 {
		return Message{}, fmt.Errorf("%w: %d", ErrBadPartition, m.Partition)
	}
	m.Seq = binary.BigEndian.Uint64(b[25:33])
	m.SentAt = time.Unix(0, int64(binary.BigEndian.Uint64(b[33:41]))).UTC()
	return m, nil
}
