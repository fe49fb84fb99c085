package neo4jserver

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// maxRestartBackoff caps the doubling wait between restarts.
const maxRestartBackoff = 30 * time.Second

// minRestartTimeout is the least time a restarted server is given to answer: after a crash it
// replays its transaction log first, which can take far longer than a clean start, and ending a
// server that is recovering would only make it start over.
const minRestartTimeout = 10 * time.Minute

// Restarts is how many times the server has been started again after exiting on its own.
func (s *Server) Restarts() int64 { return s.restarts.Load() }

// PID is the process id of the JVM running now, 0 while none runs: for accounting its CPU
// (bench), not for signalling it, which Stop does.
func (s *Server) PID() int {
	if proc := s.running(); proc != nil && proc.os != nil {
		return proc.os.Pid
	}
	return 0
}

// Down says why the server cannot serve right now (it exited and is being restarted, or its
// restarts are used up), or nil while it runs. It says nothing of a server that runs but is
// slow: that is for a probe of the database to tell.
func (s *Server) Down() error {
	if err := s.down.Load(); err != nil {
		return *err
	}
	return nil
}

func (s *Server) setDown(err error) {
	if err == nil {
		s.down.Store(nil)
		return
	}
	s.down.Store(&err)
}

// supervise waits for the running process to exit and, unless Stop asked for it, starts it
// again: after a backoff that doubles with each restart within the restart window, and not
// more than MaxRestarts times within it. Neo4j recovers its own transaction log on start, so
// every transaction it had acknowledged is there again.
func (s *Server) supervise() {
	defer close(s.supervised)
	var recent []time.Time // restarts within the window
	for {
		proc := s.running()
		select {
		case <-s.lifetime.Done():
			return
		case <-proc.exited:
		}
		if s.lifetime.Err() != nil {
			return // the exit Stop asked for
		}
		now := time.Now()
		recent = withinWindow(recent, now, s.opts.RestartWindow)
		if s.opts.MaxRestarts < 0 || len(recent) >= s.opts.MaxRestarts {
			err := fmt.Errorf("neo4j exited (%v) and was not restarted: %d restarts within %s already", proc.err, len(recent), s.opts.RestartWindow)
			s.setDown(err)
			s.logger.Error("neo4j exited unexpectedly; giving up restarting it", "error", proc.err,
				"restarts_in_window", len(recent), "window", s.opts.RestartWindow, "last_log_lines", proc.logs.String())
			return
		}
		backoff := min(s.opts.RestartBackoff<<len(recent), maxRestartBackoff)
		s.setDown(fmt.Errorf("neo4j exited (%v) and is being restarted (restart %d of at most %d within %s)",
			proc.err, len(recent)+1, s.opts.MaxRestarts, s.opts.RestartWindow))
		message := "neo4j exited unexpectedly; restarting it"
		if proc.ended.Load() {
			message = "neo4j did not come up and was stopped; restarting it"
		}
		s.logger.Error(message, "error", proc.err, "ran", now.Sub(proc.started).Round(time.Second),
			"backoff", backoff, "restart", len(recent)+1, "max_restarts", s.opts.MaxRestarts, "last_log_lines", proc.logs.String())
		select {
		case <-s.lifetime.Done():
			return
		case <-time.After(backoff):
		}
		recent = append(recent, time.Now())
		if err := s.restart(); err != nil {
			if s.lifetime.Err() != nil {
				return
			}
			s.logger.Error("neo4j restart failed", "error", err)
			continue // the failed process has exited: the next round counts it
		}
		s.setDown(nil)
		s.logger.Info("neo4j restarted", "bolt", s.URI(), "restarts", s.restarts.Load())
	}
}

// restart launches the server again and waits until it answers; a process that does not come up
// is ended, so that supervise sees it as exited.
func (s *Server) restart() error {
	s.mu.Lock()
	if s.stopRequested {
		s.mu.Unlock()
		return errors.New("neo4jserver: stopping")
	}
	proc, err := s.relaunch()
	if err != nil {
		// Nothing runs: stand a process that has already exited in its place.
		proc = &process{logs: newLogTail(), started: time.Now(), exited: make(chan struct{}), err: err}
		close(proc.exited)
	}
	s.current = proc
	s.mu.Unlock()
	s.restarts.Add(1)
	if err != nil {
		return err
	}
	if err := s.waitUntilReady(s.lifetime, proc, max(s.opts.StartTimeout, minRestartTimeout)); err != nil {
		stopCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		return errors.Join(err, terminate(stopCtx, proc))
	}
	return nil
}

func (s *Server) running() *process {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.current
}

// withinWindow keeps the times less than window before now.
func withinWindow(times []time.Time, now time.Time, window time.Duration) []time.Time {
	kept := times[:0]
	for _, t := range times {
		if now.Sub(t) < window {
			kept = append(kept, t)
		}
	}
	return kept
}
