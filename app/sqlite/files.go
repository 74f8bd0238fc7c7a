package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/parleychat/parley/app/chat"
)

var (
	selectFileTaken = declare(`SELECT EXISTS (SELECT 1 FROM files WHERE id = ?)`)
	insertFileRow   = declare(`INSERT INTO files (id, chat_id, party_id, name, content_type, size, created) VALUES (?, ?, ?, ?, ?, ?, ?)`)
	selectFile      = declare(`SELECT party_id, name, content_type, size, created FROM files WHERE id = ? AND chat_id = ?`)
	selectFileByID  = declare(`SELECT chat_id FROM files WHERE id = ?`)
	countFiles      = declare(`SELECT COUNT(*) FROM files WHERE chat_id = ? AND party_id = ?`)
)

// PutFile implements chat.Store. The bytes are durable under their final
// name before the row that makes them visible is committed, so after a
// crash a file either has its row and its bytes or no row: at worst bytes
// are left with no row. A file id names a file in the directory, so it must
// be 1 to 128 letters, digits, '-' or '_', as chat's ids are; an id already
// stored is refused, never overwritten.
func (s *Store) PutFile(ctx context.Context, f chat.File, body io.Reader) (err error) {
	defer wrap(&err, "storing file %q in chat %s", f.ID, f.ChatID)
	if !safeFileID(f.ID) {
		return errors.New("the id is not a safe file name")
	}
	// The bytes are written before the transaction begins, so a slow upload
	// does not hold the write lock.
	tmp, err := os.CreateTemp(s.files, ".upload-*")
	if err != nil {
		return err
	}
	path := tmp.Name()
	defer func() {
		if err != nil {
			os.Remove(path)
		}
	}()
	f.Size, err = io.Copy(tmp, body)
	if err == nil {
		err = tmp.Sync()
	}
	if closeErr := tmp.Close(); err == nil {
		err = closeErr
	}
	if err != nil {
		return err
	}

	tx, err := s.beginWrite(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := chatExists(ctx, tx, f.ChatID); err != nil {
		return err
	}
	// Checked under the write lock, before the rename could replace the
	// bytes of the file that has the id.
	var taken bool
	if err := tx.queryRow(ctx, selectFileTaken, f.ID).Scan(&taken); err != nil {
		return err
	}
	if taken {
		return errors.New("the id is taken")
	}
	final := filepath.Join(s.files, f.ID)
	if err := os.Rename(path, final); err != nil {
		return err
	}
	path = final
	if err := syncDir(s.files); err != nil {
		return err
	}
	if _, err := tx.exec(ctx, insertFileRow, f.ID, f.ChatID, f.PartyID, f.Name, f.ContentType, f.Size, toNanos(f.Created)); err != nil {
		return err
	}
	return tx.Commit()
}

// OpenFile implements chat.Store.
func (s *Store) OpenFile(ctx context.Context, chatID, id string) (_ chat.File, _ io.ReadSeekCloser, err error) {
	defer wrap(&err, "opening file %q of chat %s", id, chatID)
	tx, err := s.beginRead(ctx)
	if err != nil {
		return chat.File{}, nil, err
	}
	defer tx.Rollback()
	var created *int64
	f := chat.File{ID: id, ChatID: chatID}
	err = tx.queryRow(ctx, selectFile, id, chatID).Scan(&f.PartyID, &f.Name, &f.ContentType, &f.Size, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return chat.File{}, nil, chat.ErrNotFound
	}
	if err != nil {
		return chat.File{}, nil, err
	}
	f.Created = chat.FromNanos(created)
	// A row whose bytes are missing is damage, not a missing file: the
	// error is not chat.ErrNotFound.
	body, err := os.Open(filepath.Join(s.files, id))
	if err != nil {
		return chat.File{}, nil, err
	}
	return f, body, nil
}

// OpenFileByID implements chat.Store.
func (s *Store) OpenFileByID(ctx context.Context, id string) (_ chat.File, _ io.ReadSeekCloser, err error) {
	defer wrap(&err, "finding file %q", id)
	tx, err := s.beginRead(ctx)
	if err != nil {
		return chat.File{}, nil, err
	}
	var chatID string
	err = tx.queryRow(ctx, selectFileByID, id).Scan(&chatID)
	tx.Rollback()
	if errors.Is(err, sql.ErrNoRows) {
		return chat.File{}, nil, chat.ErrNotFound
	}
	if err != nil {
		return chat.File{}, nil, err
	}
	return s.OpenFile(ctx, chatID, id)
}

// CountFiles implements chat.Store.
func (s *Store) CountFiles(ctx context.Context, chatID, partyID string) (_ int, err error) {
	defer wrap(&err, "counting the files of %s in chat %s", partyID, chatID)
	tx, err := s.beginRead(ctx)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	var n int
	if err := tx.queryRow(ctx, countFiles, chatID, partyID).Scan(&n); err != nil {
		return 0, err
	}
	if n == 0 {
		return 0, chatExists(ctx, tx, chatID)
	}
	return n, nil
}

// syncDir makes a rename in dir durable: the new name lives in the
// directory, not in the file.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if closeErr := d.Close(); err == nil {
		err = closeErr
	}
	if err != nil {
		return fmt.Errorf("syncing %s: %w", dir, err)
	}
	return nil
}

// safeFileID reports whether id can be a file name in the files directory:
// no separators, no dots, so no way out of it and no clash with temporary
// files.
func safeFileID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for _, r := range id {
		switch {
		case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z', '0' <= r && r <= '9', r == '-', r == '_':
		default:
			return false
		}
	}
	return true
}
