//go:build unix

package kafkatest

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// lockFile is held (flock LOCK_EX) from the first Require until teardown or
// process exit, so one test process at a time uses a Kafka cluster.
var lockFile *os.File

func lock() error {
	// One lock per port base: test processes on different ports use
	// different clusters and need not wait for each other.
	path := filepath.Join(os.TempDir(), "kle-kafkatest-"+portBaseName()+".lock")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o666)
	if err != nil {
		return fmt.Errorf("opening lock file: %w", err)
	}
	err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		fmt.Fprintf(os.Stderr, "kafkatest: another test process is using a Kafka cluster; waiting for it to finish (lock %s)\n", path)
		for {
			err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
			if !errors.Is(err, syscall.EINTR) {
				break
			}
		}
	}
	if err != nil {
		f.Close()
		return fmt.Errorf("locking %s: %w", path, err)
	}
	lockFile = f
	return nil
}

func unlock() {
	if lockFile != nil {
		_ = syscall.Flock(int(lockFile.Fd()), syscall.LOCK_UN)
		lockFile.Close()
		lockFile = nil
	}
}
