package upstream

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"

	"github.com/parleychat/parley/app/chat"
	"github.com/parleychat/parley/protocol"
)

// Upload keeps a file the visitor shares, as in embedded mode; it goes to
// the tenant with its chat_session_file.
func (b *Bridge) Upload(ctx context.Context, chatID, partyID, name, hint string, body io.Reader) (chat.File, error) {
	return b.svc.Upload(ctx, chatID, partyID, name, hint, body)
}

// OpenFileByID implements server.Chats, for the files kept here: the
// visitors'. The tenant's are known only with their chat.
func (b *Bridge) OpenFileByID(ctx context.Context, fileID string) (chat.File, io.ReadSeekCloser, error) {
	return b.svc.OpenFileByID(ctx, fileID)
}

// OpenFile returns a file of the chat: the visitor's, kept here, or one
// the tenant's side shared in the chat, fetched from the tenant (Get File)
// as the chat's visitor. Its type is sniffed from its bytes, never taken
// from the tenant.
func (b *Bridge) OpenFile(ctx context.Context, chatID, fileID string) (chat.File, io.ReadSeekCloser, error) {
	f, body, err := b.svc.OpenFile(ctx, chatID, fileID)
	var perr *protocol.Error
	if err == nil || !errors.As(err, &perr) || perr.Code != protocol.CodeFileNotFound {
		return f, body, err
	}
	shared, found, serr := b.sharedFile(ctx, chatID, fileID)
	if serr != nil {
		return chat.File{}, nil, serr
	}
	if !found {
		return chat.File{}, nil, err
	}
	up, uerr := b.store.Upstream(ctx, chatID)
	if uerr != nil {
		return chat.File{}, nil, err
	}
	_, content, ferr := b.client.File(ctx, up.ClientID, up.UpstreamID, fileID)
	if ferr != nil {
		return chat.File{}, nil, tenantError(ferr)
	}
	return chat.File{
		ID: fileID, ChatID: chatID, PartyID: shared.PartyID, Name: shared.FileName,
		ContentType: http.DetectContentType(content), Size: int64(len(content)), Created: shared.Timestamp.Time,
	}, readSeekCloser{bytes.NewReader(content)}, nil
}

// sharedFile finds the chat_session_file the contact center's side shared
// the file with.
func (b *Bridge) sharedFile(ctx context.Context, chatID, fileID string) (*protocol.File, bool, error) {
	for after := uint64(0); ; {
		page, err := b.svc.History(ctx, chatID, after, 500)
		if err != nil || len(page) == 0 {
			return nil, false, err
		}
		for _, e := range page {
			if f, ok := e.(*protocol.File); ok && f.FileID == fileID && f.PartyID != chatID {
				return f, true, nil
			}
		}
		after = page[len(page)-1].EventMeta().Seq
	}
}

type readSeekCloser struct{ *bytes.Reader }

func (readSeekCloser) Close() error { return nil }

// tenantError is what the server answers for a call to the tenant that
// failed: the tenant's own refusal, or 5004 when it could not be reached.
func tenantError(err error) error {
	var perr *protocol.Error
	if errors.As(err, &perr) {
		return perr
	}
	return protocol.Errorf(protocol.CodeServerGone, "the contact center cannot be reached now; try again")
}

// remoteFile says whether the file is the tenant's, shared in the chat:
// the chat service publishes its event without a copy.
func (b *Bridge) remoteFile(chatID, fileID string) bool {
	f := b.follower(chatID)
	return f != nil && f.isRemote(fileID)
}
