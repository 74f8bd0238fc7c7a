package protocol_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/parleychat/parley/protocol"
)

func ExampleDecodeEnvelope() {
	body := []byte(`{"events":[
		{"event":"chat_session_message","msg_id":"a-3","party_id":"agent-7","msg":"Hi<br>there","msg_text":"Hi there","timestamp":"1613472342"},
		{"event":"chat_session_cobrowsing_requested","party_id":"agent-7"}
	]}`)
	env, err := protocol.DecodeEnvelope(body)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, e := range env.Events {
		switch e := e.(type) {
		case *protocol.Message:
			fmt.Printf("%s at %s: %s\n", e.PartyID, e.Timestamp.UTC().Format(time.RFC3339), e.Text())
		case *protocol.Unknown:
			fmt.Printf("skipping %s\n", e.Name)
		}
	}
	// Output:
	// agent-7 at 2021-02-16T10:45:42Z: Hi there
	// skipping chat_session_cobrowsing_requested
}

func ExampleEncodeEnvelope() {
	data, err := protocol.EncodeEnvelope(&protocol.Message{
		MsgID: protocol.MessageID("chat-1", 1),
		Msg:   "Hello",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(string(data))
	// Output:
	// {"events":[{"event":"chat_session_message","msg_id":"chat-1:1","msg":"Hello"}]}
}

func ExampleParseAuthorization() {
	// Both mobile SDKs send the values without quotes.
	c, err := protocol.ParseAuthorization("MOBILE-API-140-327-PLAIN appId=sales, clientId=6f1c2a4e-8d3b-4b1a-9f0e-2c7d5e8a9b10")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(c.AppID)
	fmt.Println(c.ClientID)
	fmt.Println(c.Authorization())
	// Output:
	// sales
	// 6f1c2a4e-8d3b-4b1a-9f0e-2c7d5e8a9b10
	// MOBILE-API-140-327-PLAIN appId="sales", clientId="6f1c2a4e-8d3b-4b1a-9f0e-2c7d5e8a9b10"
}

func ExampleForm_Validate() {
	form := protocol.Form{
		Name: "MobileChatCustomerData",
		Fields: []protocol.Field{
			{Name: "first_name", Label: "First name", Type: protocol.FieldText, Required: true},
			{Name: "email", Label: "E-mail", Type: protocol.FieldEmail, Required: true},
		},
	}
	for _, p := range form.Validate(map[string]string{"email": "ada@localhost", "age": "36"}) {
		fmt.Println(p.Field, p.Problem)
	}
	// Output:
	// first_name required
	// email email
	// age unexpected
}

func ExamplePath() {
	fmt.Println(protocol.Path(protocol.PathChatFile, "chat 1", "f/9"))
	fmt.Println(protocol.Path(protocol.PathChatFile, "chat-1"))
	// Output:
	// /clientweb/api/v2/chats/chat%201/files/f%2F9
	// /clientweb/api/v2/chats/chat-1/files/{fileId}
}

func ExampleValidateClientEvent() {
	err := protocol.ValidateClientEvent(&protocol.Message{Msg: "Hello"})
	var e *protocol.Error
	if errors.As(err, &e) {
		fmt.Println(e.Code, e.HTTPStatus())
	}
	// Output:
	// 5003 400
}
