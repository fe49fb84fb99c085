package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// auditSpool is the audit's local durable path (Config.AuditSpool): the writer appends each
// batch of events to one file as JSON lines and syncs it (a local fdatasync costs a fraction of
// a Neo4j commit: docs/benchmarks.md), and a shipper writes what was appended to Neo4j in
// batches, in order: events gather for up to a delay (Config.AuditShipDelay) before one
// shipment, so that Neo4j takes one write for many responses rather than one per response,
// which competed with the next request's read on a small machine (docs/benchmarks.md); a
// reader of the trail hurries it. The file is emptied whenever everything in it has been shipped and it has
// grown past maxSpoolBytes. Where shipping has reached is kept beside it (the cursor file);
// losing the cursor only ships some events again, which MERGE by id makes harmless. On open, a
// last line that was never synced whole (a crash while appending: its events were never
// acknowledged) is cut off. One process at a time holds the folder (an flock on its lock file):
// each instance of the service needs a spool of its own, on storage that outlives the process.
type auditSpool struct {
	dir  string
	lock *os.File
	file *os.File // appended to by the writer's goroutine only

	mu       sync.Mutex
	appended int64 // bytes synced to disk
	shipped  int64 // bytes written to Neo4j
	epoch    int   // how many times the file was emptied
	changed  chan struct{}
	// delay is how long events gather before a shipment; a send on hurry cuts it short.
	delay    time.Duration
	hurry    chan struct{}
	closing  chan struct{}
	done     chan struct{}
	failures func() // counts a failed shipment (metrics)
	logger   *slog.Logger
}

const (
	spoolFile       = "audit.jsonl"
	spoolCursorFile = "audit.shipped"
	spoolLockFile   = "lock"
	// spoolRejectedFile keeps lines that are not events (a damaged disk), for a person to read.
	spoolRejectedFile = "audit.rejected"
	// maxSpoolBytes is the size past which a fully shipped spool is emptied.
	maxSpoolBytes = 8 << 20
	// maxShipBytes bounds one shipment (at most about maxAuditBatch events of typical size).
	maxShipBytes = 1 << 20
)

// DefaultAuditShipDelay is Config.AuditShipDelay's default: events are durable in the spool
// already, so the delay only postpones their arrival in Neo4j, for readers that do not hurry it.
const DefaultAuditShipDelay = 200 * time.Millisecond

var errSpoolInUse = errors.New("the audit spool is in use by another process")

// openAuditSpool opens (creating) the spool in dir, recovering what a previous process left.
func openAuditSpool(dir string, delay time.Duration, logger *slog.Logger) (*auditSpool, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("audit spool: %w", err)
	}
	lock, err := os.OpenFile(filepath.Join(dir, spoolLockFile), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("audit spool: %w", err)
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		return nil, errors.Join(fmt.Errorf("audit spool %s: %w", dir, errSpoolInUse), lock.Close())
	}
	file, err := os.OpenFile(filepath.Join(dir, spoolFile), os.O_CREATE|os.O_RDWR|os.O_APPEND, 0o600)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("audit spool: %w", err), lock.Close())
	}
	sp := &auditSpool{dir: dir, lock: lock, file: file, changed: make(chan struct{}), delay: delay, hurry: make(chan struct{}, 1),
		closing: make(chan struct{}), done: make(chan struct{}), failures: func() {}, logger: logger}
	if err := sp.recover(); err != nil {
		return nil, errors.Join(fmt.Errorf("audit spool: %w", err), file.Close(), lock.Close())
	}
	return sp, nil
}

// recover cuts off an unsynced last line and reads the cursor.
func (sp *auditSpool) recover() error {
	content, err := io.ReadAll(io.NewSectionReader(sp.file, 0, 1<<62))
	if err != nil {
		return err
	}
	whole := int64(bytes.LastIndexByte(content, '\n') + 1)
	if whole < int64(len(content)) {
		if err := sp.file.Truncate(whole); err != nil {
			return err
		}
		if err := sp.file.Sync(); err != nil {
			return err
		}
	}
	sp.appended = whole
	cursor, err := os.ReadFile(filepath.Join(sp.dir, spoolCursorFile))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if shipped, err := strconv.ParseInt(string(bytes.TrimSpace(cursor)), 10, 64); err == nil && shipped <= whole &&
		(shipped == 0 || content[shipped-1] == '\n') {
		sp.shipped = shipped
	}
	return nil
}

// append makes records durable: one write of their lines, then fdatasync.
func (sp *auditSpool) append(records []auditRecord) error {
	var lines bytes.Buffer
	for _, r := range records {
		line, err := json.Marshal(r)
		if err != nil {
			return err
		}
		lines.Write(line)
		lines.WriteByte('\n')
	}
	sp.mu.Lock()
	empty := sp.shipped == sp.appended && sp.appended > maxSpoolBytes
	sp.mu.Unlock()
	if empty {
		// Everything here is in Neo4j and only this goroutine appends: start the file afresh.
		// The cursor goes first, so a crash in between at worst ships the old events again.
		if err := sp.writeCursor(0); err != nil {
			return err
		}
		if err := sp.file.Truncate(0); err != nil {
			return err
		}
		sp.mu.Lock()
		sp.appended, sp.shipped = 0, 0
		sp.epoch++
		sp.mu.Unlock()
	}
	if _, err := sp.file.Write(lines.Bytes()); err != nil {
		return err
	}
	if err := syscall.Fdatasync(int(sp.file.Fd())); err != nil {
		return err
	}
	sp.mu.Lock()
	sp.appended += int64(lines.Len())
	sp.signal()
	sp.mu.Unlock()
	return nil
}

// signal wakes whoever waits for a change of appended or shipped; sp.mu is held.
func (sp *auditSpool) signal() {
	close(sp.changed)
	sp.changed = make(chan struct{})
}

func (sp *auditSpool) writeCursor(shipped int64) error {
	tmp := filepath.Join(sp.dir, spoolCursorFile+".tmp")
	if err := os.WriteFile(tmp, []byte(strconv.FormatInt(shipped, 10)), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(sp.dir, spoolCursorFile))
}

// backlog is how many bytes are durable but not yet in Neo4j.
func (sp *auditSpool) backlog() int64 {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	return sp.appended - sp.shipped
}

// ship writes what is appended to Neo4j, oldest first, until close; a failed shipment is
// retried with a growing pause (Neo4j may be restarting), and nothing after it is shipped first.
func (sp *auditSpool) ship(commit func(context.Context, []auditRecord) error) {
	defer close(sp.done)
	pause := 100 * time.Millisecond
	for {
		sp.mu.Lock()
		from, to, changed := sp.shipped, sp.appended, sp.changed
		sp.mu.Unlock()
		if from == to {
			select {
			case <-changed:
				continue
			case <-sp.closing:
				return
			}
		}
		to = sp.gather()
		end, err := sp.shipOnce(from, min(to, from+maxShipBytes), commit)
		if err != nil {
			sp.failures()
			sp.logger.Warn("audit spool: shipping to Neo4j failed; retrying", "backlog_bytes", to-from, "err", err)
			select {
			case <-time.After(pause):
				pause = min(2*pause, 5*time.Second)
				continue
			case <-sp.closing:
				return
			}
		}
		pause = 100 * time.Millisecond
		if err := sp.writeCursor(end); err != nil {
			sp.logger.Warn("audit spool: cannot keep the shipping cursor (events may be shipped again)", "err", err)
		}
		sp.mu.Lock()
		sp.shipped = end
		sp.signal()
		sp.mu.Unlock()
	}
}

// gather waits while events gather for one shipment (sp.delay, cut short by a reader of the
// trail, by closing or by a shipment's worth of events) and returns where the appended ones end.
func (sp *auditSpool) gather() int64 {
	timer := time.NewTimer(sp.delay)
	defer timer.Stop()
	for {
		sp.mu.Lock()
		from, to, changed := sp.shipped, sp.appended, sp.changed
		sp.mu.Unlock()
		if to-from >= maxShipBytes {
			return to
		}
		select {
		case <-changed:
		case <-timer.C:
			return sp.appendedSoFar()
		case <-sp.hurry:
			return sp.appendedSoFar()
		case <-sp.closing:
			return sp.appendedSoFar()
		}
	}
}

func (sp *auditSpool) appendedSoFar() int64 {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	return sp.appended
}

// shipOnce writes the whole lines in [from, to) to Neo4j and returns where they end.
func (sp *auditSpool) shipOnce(from, to int64, commit func(context.Context, []auditRecord) error) (int64, error) {
	chunk := make([]byte, to-from)
	if _, err := sp.file.ReadAt(chunk, from); err != nil {
		return from, err
	}
	if cut := bytes.LastIndexByte(chunk, '\n'); cut >= 0 {
		chunk = chunk[:cut+1]
	} else {
		// One line longer than a shipment: ship it alone.
		line, err := sp.readLine(from)
		if err != nil {
			return from, err
		}
		chunk = line
	}
	var records []auditRecord
	for line := range bytes.Lines(chunk) {
		var r auditRecord
		if err := json.Unmarshal(line, &r); err != nil {
			// Only a damaged disk writes such a line: kept aside for a person to read, rather
			// than holding every later event back.
			if err := sp.reject(line); err != nil {
				return from, err
			}
			continue
		}
		records = append(records, r)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := commit(ctx, records); err != nil {
		return from, err
	}
	return from + int64(len(chunk)), nil
}

// reject keeps a line that is not an event in the rejected file, and reports it.
func (sp *auditSpool) reject(line []byte) error {
	f, err := os.OpenFile(filepath.Join(sp.dir, spoolRejectedFile), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(line)
	sp.logger.Error("audit spool: a line is not an audit event; kept aside", "file", f.Name())
	return errors.Join(err, f.Sync(), f.Close())
}

func (sp *auditSpool) readLine(from int64) ([]byte, error) {
	sp.mu.Lock()
	to := sp.appended
	sp.mu.Unlock()
	rest := make([]byte, to-from)
	if _, err := sp.file.ReadAt(rest, from); err != nil {
		return nil, err
	}
	cut := bytes.IndexByte(rest, '\n')
	if cut < 0 {
		return nil, fmt.Errorf("spool line at %d has no end", from)
	}
	return rest[:cut+1], nil
}

// waitShipped waits until what was appended before the call is in Neo4j.
func (sp *auditSpool) waitShipped(ctx context.Context) error {
	sp.mu.Lock()
	target, epoch := sp.appended, sp.epoch
	sp.mu.Unlock()
	for {
		sp.mu.Lock()
		// The file is emptied only once everything in it was shipped.
		reached := sp.shipped >= target || sp.epoch != epoch
		changed := sp.changed
		sp.mu.Unlock()
		if reached {
			return nil
		}
		select { // the shipper need not wait for more events: someone reads the trail
		case sp.hurry <- struct{}{}:
		default:
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return fmt.Errorf("audit events not yet in Neo4j: %w", ctx.Err())
		case <-sp.done:
			return errStoreClosed
		}
	}
}

// close ships what is left while ctx lasts, then stops the shipper and releases the folder.
func (sp *auditSpool) close(ctx context.Context) {
	_ = sp.waitShipped(ctx)
	close(sp.closing)
	<-sp.done
	_ = sp.file.Close()
	_ = sp.lock.Close()
}
