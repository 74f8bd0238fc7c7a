package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/jackc/pgx/v5"
	"github.com/parleychat/parley/app/chat"
)

// chunkSize is how many bytes of a file one file_chunks row holds.
const chunkSize = 256 << 10

// PutFile implements chat.Store. The body is spooled to a temporary file
// first, so that a slow upload holds no connection; then the row and the
// bytes are stored in one transaction, visible together or not at all. An
// id already stored is refused, never overwritten.
func (s *Store) PutFile(ctx context.Context, f chat.File, body io.Reader) (err error) {
	defer wrap(&err, "storing file %q in chat %s", f.ID, f.ChatID)
	spool, err := os.CreateTemp("", "parley-upload-*")
	if err != nil {
		return err
	}
	defer os.Remove(spool.Name())
	defer spool.Close()
	if f.Size, err = io.Copy(spool, body); err != nil {
		return err
	}
	if _, err := spool.Seek(0, io.SeekStart); err != nil {
		return err
	}
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if err := chatExists(ctx, tx, f.ChatID); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `INSERT INTO files (id, chat_id, party_id, name, content_type, size, created)
			VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING`,
			f.ID, f.ChatID, f.PartyID, f.Name, f.ContentType, f.Size, toNanos(f.Created))
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return errors.New("the id is taken")
		}
		buf := make([]byte, chunkSize)
		for n := 0; ; n++ {
			read, err := io.ReadFull(spool, buf)
			if read > 0 {
				if _, err := tx.Exec(ctx, `INSERT INTO file_chunks (file_id, n, data) VALUES ($1, $2, $3)`, f.ID, n, buf[:read]); err != nil {
					return err
				}
			}
			switch {
			case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
				return nil
			case err != nil:
				return err
			}
		}
	})
}

// OpenFile implements chat.Store. The bytes are read a chunk at a time, as
// the reader asks for them.
func (s *Store) OpenFile(ctx context.Context, chatID, id string) (_ chat.File, _ io.ReadSeekCloser, err error) {
	defer wrap(&err, "opening file %q of chat %s", id, chatID)
	var created *int64
	f := chat.File{ID: id, ChatID: chatID}
	err = s.pool.QueryRow(ctx, `SELECT party_id, name, content_type, size, created FROM files WHERE id = $1 AND chat_id = $2`,
		id, chatID).Scan(&f.PartyID, &f.Name, &f.ContentType, &f.Size, &created)
	if errors.Is(err, pgx.ErrNoRows) {
		return chat.File{}, nil, chat.ErrNotFound
	}
	if err != nil {
		return chat.File{}, nil, err
	}
	f.Created = chat.FromNanos(created)
	return f, &chunkReader{ctx: ctx, pool: s, id: id, size: f.Size}, nil
}

// OpenFileByID implements chat.Store.
func (s *Store) OpenFileByID(ctx context.Context, id string) (_ chat.File, _ io.ReadSeekCloser, err error) {
	defer wrap(&err, "finding file %q", id)
	var chatID string
	err = s.pool.QueryRow(ctx, `SELECT chat_id FROM files WHERE id = $1`, id).Scan(&chatID)
	if errors.Is(err, pgx.ErrNoRows) {
		return chat.File{}, nil, chat.ErrNotFound
	}
	if err != nil {
		return chat.File{}, nil, err
	}
	return s.OpenFile(ctx, chatID, id)
}

// chunkReader reads a file's bytes from its chunks.
type chunkReader struct {
	ctx  context.Context
	pool *Store
	id   string
	size int64
	// offset is where the next Read starts; chunk holds the bytes of the
	// chunk numbered n, once read.
	offset int64
	n      int64
	chunk  []byte
}

func (r *chunkReader) Read(p []byte) (int, error) {
	if r.offset >= r.size {
		return 0, io.EOF
	}
	n := r.offset / chunkSize
	if r.chunk == nil || r.n != n {
		var data []byte
		err := r.pool.pool.QueryRow(r.ctx, `SELECT data FROM file_chunks WHERE file_id = $1 AND n = $2`, r.id, n).Scan(&data)
		if err != nil {
			// A row whose bytes are missing is damage, not a missing file.
			return 0, fmt.Errorf("postgres: reading chunk %d of file %q: %w", n, r.id, err)
		}
		r.chunk, r.n = data, n
	}
	read := copy(p, r.chunk[r.offset-n*chunkSize:])
	r.offset += int64(read)
	return read, nil
}

func (r *chunkReader) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += r.offset
	case io.SeekEnd:
		offset += r.size
	default:
		return 0, errors.New("postgres: invalid whence")
	}
	if offset < 0 {
		return 0, errors.New("postgres: negative position")
	}
	r.offset = offset
	return offset, nil
}

func (r *chunkReader) Close() error { return nil }

// CountFiles implements chat.Store.
func (s *Store) CountFiles(ctx context.Context, chatID, partyID string) (_ int, err error) {
	defer wrap(&err, "counting the files of %s in chat %s", partyID, chatID)
	var n int
	if err := s.pool.QueryRow(ctx, `SELECT COUNT(*) FROM files WHERE chat_id = $1 AND party_id = $2`, chatID, partyID).Scan(&n); err != nil {
		return 0, err
	}
	if n == 0 {
		return 0, chatExists(ctx, s.pool, chatID)
	}
	return n, nil
}
