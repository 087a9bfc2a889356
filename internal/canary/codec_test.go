package canary

import (
	"bytes"
	"errors"
	"testing"
	"time"
)

func testInstance(b byte) InstanceID {
	var id InstanceID
	for i := range id {
		id[i] = b + byte(i)
	}
	return id
}

func TestCodecRoundTrip(t *testing.T) {
	cases := []Message{
		{Instance: testInstance(1), Partition: 0, Seq: 0, SentAt: time.Unix(0, 0).UTC()},
		{Instance: testInstance(7), Partition: 2, Seq: 12345, SentAt: time.Date(2026, 11, 21, 20, 0, 0, 123456789, time.UTC)},
		{Instance: testInstance(0xf0), Partition: 1<<31 - 1, Seq: 1<<64 - 1, SentAt: time.Unix(0, 1<<62).UTC()},
	}
	for _, m := range cases {
		b := m.Encode()
		if len(b) != messageSize {
			t.Fatalf("encoded %d bytes, want %d", len(b), messageSize)
		}
		got, err := DecodeMessage(b)
		if err != nil {
			t.Fatalf("decode %+v: %v", m, err)
		}
		if got != m {
			t.Errorf("round trip: got %+v, want %+v", got, m)
		}
	}
}

func TestDecodeRejectsGarbage(t *testing.T) {
	good := Message{Instance: testInstance(3), Partition: 1, Seq: 9, SentAt: time.Unix(1, 2)}.Encode()
	badVersion := bytes.Clone(good)
	badVersion[4] = 2
	negative := bytes.Clone(good)
	negative[21] = 0x80
	cases := []struct {
		name string
		in   []byte
		want error
	}{
		{"nil", nil, ErrBadLength},
		{"short", []byte("KLE"), ErrBadLength},
		{"json", []byte(`{"seq":1}`), ErrNotCanary},
		{"version 2", badVersion, ErrUnsupportedVersion},
		{"truncated", good[:40], ErrBadLength},
		{"trailing byte", append(bytes.Clone(good), 0), ErrBadLength},
		{"negative partition", negative, ErrBadPartition},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := DecodeMessage(c.in); !errors.Is(err, c.want) {
				t.Errorf("DecodeMessage(%q) error %v, want %v", c.in, err, c.want)
			}
		})
	}
}

func FuzzDecodeMessage(f *testing.F) {
	f.Add(Message{Instance: testInstance(1), Partition: 3, Seq: 42, SentAt: time.Unix(1700000000, 5)}.Encode())
	f.Add([]byte("KLEC"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := DecodeMessage(b)
		if err != nil {
			return
		}
		// Whatever decodes encodes back to the same bytes.
		if again := m.Encode(); !bytes.Equal(again, b) {
			t.Fatalf("decode then encode changed the message: %x -> %x", b, again)
		}
	})
}
