package neo4jserver

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
)

// logTail remembers where some log files ended when the server was launched, so that an error
// can quote what this run wrote, not what earlier runs did.
type logTail struct {
	paths   []string
	offsets []int64
}

func newLogTail(paths ...string) *logTail {
	tail := &logTail{paths: paths, offsets: make([]int64, len(paths))}
	for i, path := range paths {
		if info, err := os.Stat(path); err == nil {
			tail.offsets[i] = info.Size()
		}
	}
	return tail
}

// String returns the last lines this run wrote to each file, without Java stack frames: the
// messages and their "Caused by" chain are what explain a failure.
func (t *logTail) String() string {
	var out strings.Builder
	for i, path := range t.paths {
		written, err := readFrom(path, t.offsets[i])
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			fmt.Fprintf(&out, "(%s: %v)\n", path, err)
			continue
		}
		var messages []string
		for line := range strings.Lines(written) {
			trimmed := strings.TrimSpace(line)
			if strings.HasPrefix(trimmed, "at ") || strings.HasPrefix(trimmed, "... ") || trimmed == "" {
				continue
			}
			messages = append(messages, strings.TrimRight(line, "\r\n"))
		}
		if len(messages) > 0 {
			fmt.Fprintf(&out, "==> %s <==\n%s\n", path, lastLines(strings.Join(messages, "\n"), 20))
		}
	}
	if out.Len() == 0 {
		return "(the server wrote no log lines)"
	}
	return strings.TrimRight(out.String(), "\n")
}

func readFrom(path string, offset int64) (string, error) {
	file, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer file.Close()
	if _, err := file.Seek(offset, io.SeekStart); err != nil {
		return "", err
	}
	content, err := io.ReadAll(file)
	return string(content), err
}

// lastLines returns at most n trailing lines of text.
func lastLines(text string, n int) string {
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
