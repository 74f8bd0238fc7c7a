package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"syscall"
	"time"

	"github.com/parleychat/parley/app/chat"
	modernc "modernc.org/sqlite"
	sqlitelib "modernc.org/sqlite/lib"
)

var _ chat.Store = (*Store)(nil)

// Store is a chat.Store in one directory. It is safe for concurrent use,
// also by several processes sharing the directory.
type Store struct {
	// writer has a single connection, so the goroutines that write queue
	// for it in Go, and at most one at a time waits for SQLite's write
	// lock. Many waiting there poll it with growing sleeps, and a burst of
	// writers slows to a crawl or gives up after busy_timeout.
	writer *sql.DB
	// readers run the transactions that only read, side by side, and never
	// queue behind a writer.
	readers *sql.DB
	// written and read are the statements prepared on writer and readers.
	written, read prepared
	// files is the directory of file bytes.
	files string
	// appends queue for the committer, which closes committed when it
	// stops; closed says Close began; checkpointed closes when the
	// checkpointer stops.
	appends      chan *appendRequest
	closed       chan struct{}
	committed    chan struct{}
	checkpointed chan struct{}
	closeOnce    sync.Once
	// rows are the chats' rows as the last groups left them, and
	// dataVersion SQLite's data_version when the last group began: they
	// spare a read of each chat's row per append. rowsMu guards them: the
	// committer holds it through each group, and Assign takes it to
	// forget the row it changed, since data_version tells of the writes
	// of other connections only, and Assign writes on the committer's.
	rowsMu      sync.Mutex
	rows        map[string]chat.Chat
	dataVersion int64
}

// errClosed is an Append after Close.
var errClosed = errors.New("the store is closed")

// readerConns bounds the connections that read at once: reads are short,
// and SQLite's work is CPU's, so more than the cores only queue inside.
var readerConns = 2 * runtime.GOMAXPROCS(0)

// pragmas apply to every connection the pool opens, which a one-off Exec
// would not. Transactions that may write take the write lock at BEGIN: two
// that both read first and then try to write could otherwise deadlock, one
// of them failing with SQLITE_BUSY however long busy_timeout waits. No
// commit checkpoints the WAL by itself (wal_autocheckpoint(0)): the one
// that did would take many times as long as the others, and the event it
// carried would be late; the checkpointer does it beside the writers.
const pragmas = "_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)" +
	"&_pragma=foreign_keys(ON)&_pragma=synchronous(FULL)&_pragma=wal_autocheckpoint(0)&_txlock=immediate"

// checkpointEvery is how often the checkpointer copies the WAL into the
// database, so that the WAL does not grow without end.
const checkpointEvery = time.Second

// Open opens the store in dir, creating dir and the database as needed, and
// brings the schema up to date.
func Open(ctx context.Context, dir string) (_ *Store, err error) {
	defer wrap(&err, "opening %s", dir)
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	files := filepath.Join(abs, "files")
	if err := os.MkdirAll(files, 0o700); err != nil {
		return nil, err
	}
	// A file: URI, so that a directory named with '?' or '#' is escaped
	// rather than read as the start of the parameters.
	dsn := (&url.URL{Scheme: "file", Path: filepath.ToSlash(filepath.Join(abs, "parley.db")), RawQuery: pragmas}).String()
	writer, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	writer.SetMaxOpenConns(1)
	readers, err := sql.Open("sqlite", dsn)
	if err != nil {
		writer.Close()
		return nil, err
	}
	// A bounded pool that keeps its connections: under a burst of reads
	// (a flood of requests) database/sql would otherwise open a connection
	// per read and close all but two, and each opening reads the schema and
	// takes locks that make the writer wait and back off.
	readers.SetMaxOpenConns(readerConns)
	readers.SetMaxIdleConns(readerConns)
	s := &Store{
		writer: writer, readers: readers, files: files,
		appends: make(chan *appendRequest), closed: make(chan struct{}),
		committed: make(chan struct{}), checkpointed: make(chan struct{}),
		rows: map[string]chat.Chat{},
	}
	go s.commit()
	go s.checkpoint()
	if err := s.migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	if s.written, err = prepare(ctx, writer); err != nil {
		s.Close()
		return nil, err
	}
	if s.read, err = prepare(ctx, readers); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Close closes the database, once the appends under way committed.
// Nothing is lost if it is never called: every method commits before it
// returns.
func (s *Store) Close() error {
	s.closeOnce.Do(func() { close(s.closed) })
	<-s.committed
	<-s.checkpointed
	s.written.close()
	s.read.close()
	if err := errors.Join(s.writer.Close(), s.readers.Close()); err != nil {
		return fmt.Errorf("sqlite: closing: %w", err)
	}
	return nil
}

// checkpoint copies the WAL into the database now and then, until Close,
// on a connection of its own: a passive checkpoint waits for no writer and
// no reader, and commits go on meanwhile.
func (s *Store) checkpoint() {
	defer close(s.checkpointed)
	ticker := time.NewTicker(checkpointEvery)
	defer ticker.Stop()
	for {
		select {
		case <-s.closed:
			return
		case <-ticker.C:
			// A failed checkpoint is tried again at the next tick; the
			// WAL only grows meanwhile.
			_, _ = s.readers.Exec(`PRAGMA wal_checkpoint(PASSIVE)`)
		}
	}
}

//go:embed migrations/*.sql
var migrations embed.FS

// migrate applies, in name order, each migration the migrations table does
// not list yet.
func (s *Store) migrate(ctx context.Context) error {
	if _, err := s.writer.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY) STRICT`); err != nil {
		return fmt.Errorf("creating the migrations table: %w", err)
	}
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	slices.Sort(names)
	for _, name := range names {
		if err := s.applyMigration(ctx, name); err != nil {
			return fmt.Errorf("migration %s: %w", name, err)
		}
	}
	return nil
}

// applyMigration runs one migration and records it in one transaction, so
// a crash leaves it either done and listed or neither. The write lock taken
// at BEGIN makes two processes starting at once apply it once. Its
// statements are not prepared ones: those need the tables migrations make.
func (s *Store) applyMigration(ctx context.Context, name string) error {
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var applied bool
	if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM migrations WHERE name = ?)`, name).Scan(&applied); err != nil {
		return err
	}
	if applied {
		return nil
	}
	script, err := fs.ReadFile(migrations, name)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, string(script)); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO migrations (name) VALUES (?)`, name); err != nil {
		return err
	}
	return tx.Commit()
}

// beginWrite starts a transaction that holds SQLite's write lock from its
// BEGIN: the DSN's _txlock=immediate.
func (s *Store) beginWrite(ctx context.Context) (txn, error) {
	tx, err := s.writer.BeginTx(ctx, nil)
	return txn{Tx: tx, stmts: s.written}, err
}

// beginRead starts a transaction that only reads. It does not take the
// write lock, so under WAL it neither waits for writers nor blocks them, and
// it reads one consistent snapshot.
func (s *Store) beginRead(ctx context.Context) (txn, error) {
	tx, err := s.readers.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	return txn{Tx: tx, stmts: s.read}, err
}

// wrap gives an exported method's error its context, once, and marks the
// errors of a disk that refuses writes as chat.ErrUnavailable.
func wrap(err *error, format string, args ...any) {
	switch {
	case *err == nil:
	case refused(*err):
		*err = fmt.Errorf("sqlite: "+format+": %w: %w", append(args, chat.ErrUnavailable, *err)...)
	default:
		*err = fmt.Errorf("sqlite: "+format+": %w", append(args, *err)...)
	}
}

// refused reports whether err is the disk refusing a write, which the same
// call may get past later: full (SQLITE_FULL, ENOSPC, EDQUOT), over the
// file size limit (EFBIG), or failing (SQLITE_IOERR and its kinds, EIO).
// SQLite rolls back the transaction that met it, so nothing of the call is
// stored.
func refused(err error) bool {
	var e *modernc.Error
	if errors.As(err, &e) {
		switch e.Code() & 0xff {
		case sqlitelib.SQLITE_FULL, sqlitelib.SQLITE_IOERR:
			return true
		}
	}
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) || errors.Is(err, syscall.EFBIG) || errors.Is(err, syscall.EIO)
}

// isUniqueViolation reports whether err is a UNIQUE index refusing a row;
// a duplicate primary key is another error.
func isUniqueViolation(err error) bool {
	var e *modernc.Error
	return errors.As(err, &e) && e.Code() == sqlitelib.SQLITE_CONSTRAINT_UNIQUE
}

// toNanos is a time as the tables keep it: Unix nanoseconds, and the zero
// time, which has none, NULL (see chat.FromNanos).
func toNanos(t time.Time) sql.NullInt64 {
	return sql.NullInt64{Int64: t.UnixNano(), Valid: !t.IsZero()}
}
