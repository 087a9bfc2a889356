package kafka

import (
	"crypto/sha256"
	"crypto/sha512"
	"hash"

	"github.com/IBM/sarama"
	"github.com/xdg-go/scram"
)

var (
	sha256Hash scram.HashGeneratorFcn = func() hash.Hash { return sha256.New() }
	sha512Hash scram.HashGeneratorFcn = func() hash.Hash { return sha512.New() }
)

// scramClient adapts xdg-go/scram to sarama's SCRAMClient interface.
type scramClient struct {
	hash scram.HashGeneratorFcn
	conv *scram.ClientConversation
}

func newSCRAMClient(h scram.HashGeneratorFcn) func() sarama.SCRAMClient {
	return func() sarama.SCRAMClient { return &scramClient{hash: h} }
}

// Begin starts a SCRAM conversation for the user.
func (c *scramClient) Begin(user, password, authzID string) error {
	client, err := c.hash.NewClient(user, password, authzID)
	if err != nil {
		return err
	}
	c.conv = client.NewConversation()
	return nil
}

// Step answers one server challenge.
func (c *scramClient) Step(challenge string) (string, error) {
	return c.conv.Step(challenge)
}

// Done reports whether the conversation finished.
func (c *scramClient) Done() bool {
	return c.conv.Done()
}
