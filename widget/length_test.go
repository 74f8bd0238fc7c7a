package widget

import (
	"strings"
	"testing"

	"github.com/parleychat/parley/protocol"
)

func TestOverLimit(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		text string
		want int
	}{
		{"empty", "", 0},
		{"ASCII at the limit", strings.Repeat("a", protocol.MaxTextBytes), 0},
		{"ASCII one over", strings.Repeat("a", protocol.MaxTextBytes+1), 1},
		{"4,096 emoji fit", strings.Repeat("😀", protocol.MaxTextBytes/4), 0},
		{"4,097 emoji: one too many", strings.Repeat("😀", protocol.MaxTextBytes/4+1), 1},
		{"umlauts, two bytes each", strings.Repeat("ü", protocol.MaxTextBytes/2+3), 3},
		{"ASCII then an emoji that does not fit", strings.Repeat("a", protocol.MaxTextBytes-2) + "😀", 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := overLimit(tc.text); got != tc.want {
				t.Errorf("overLimit = %d, want %d", got, tc.want)
			}
			// Taking that many characters off makes it fit, one fewer not:
			// the count is the server's.
			if tc.text == "" {
				return
			}
			runes := []rune(tc.text)
			if err := protocol.ValidateClientEvent(&protocol.Message{MsgID: protocol.TextID("1"), Msg: string(runes[:len(runes)-tc.want])}); err != nil {
				t.Errorf("cut by %d characters, the server still refuses it: %v", tc.want, err)
			}
			if tc.want > 0 && protocol.ValidateClientEvent(&protocol.Message{MsgID: protocol.TextID("1"), Msg: string(runes[:len(runes)-tc.want+1])}) == nil {
				t.Errorf("cut by %d characters, the server takes it: the count is too high", tc.want-1)
			}
		})
	}
}
