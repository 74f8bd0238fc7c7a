package client_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the tests when one leaves a goroutine running.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
