package neo4jserver

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// passwordFile is the name, inside Options.Dir, of the file holding the generated password.
const passwordFile = "neo4j-password"

// layout names the folders and files of one server's home (Options.Dir).
type layout struct{ home string }

func newLayout(home string) layout { return layout{home: home} }

func (l layout) conf() string           { return filepath.Join(l.home, "conf") }
func (l layout) data() string           { return filepath.Join(l.home, "data") }
func (l layout) logs() string           { return filepath.Join(l.home, "logs") }
func (l layout) run() string            { return filepath.Join(l.home, "run") }
func (l layout) configFile() string     { return filepath.Join(l.conf(), "neo4j.conf") }
func (l layout) passwordPath() string   { return filepath.Join(l.home, passwordFile) }
func (l layout) consoleLog() string     { return filepath.Join(l.logs(), "console.log") }
func (l layout) neo4jLog() string       { return filepath.Join(l.logs(), "neo4j.log") }
func (l layout) systemDatabase() string { return filepath.Join(l.data(), "databases", "system") }

// create makes the folders, private to the user since they hold the graph and its password.
func (l layout) create() error {
	for _, dir := range []string{l.home, l.conf(), l.data(), l.logs(), l.run()} {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("neo4jserver: create %s: %w", dir, err)
		}
	}
	return nil
}

// initialised reports whether Neo4j has ever started on this home: the system database, which
// holds the users and their passwords, is created by the first start.
func (l layout) initialised() (bool, error) {
	_, err := os.Stat(l.systemDatabase())
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	default:
		return false, fmt.Errorf("neo4jserver: inspect %s: %w", l.systemDatabase(), err)
	}
}

// environ is the environment of Neo4j's Java processes: the admin command in particular
// resolves its conf and data folders from NEO4J_HOME and NEO4J_CONF, not from flags.
func (l layout) environ() []string {
	return append(os.Environ(), "NEO4J_HOME="+l.home, "NEO4J_CONF="+l.conf())
}

// writeConfig writes neo4j.conf from opts on every start, so that changed options apply.
func writeConfig(l layout, opts Options) error {
	boltHost, _, err := net.SplitHostPort(opts.BoltAddr)
	if err != nil {
		return fmt.Errorf("neo4jserver: Bolt address %q: %w", opts.BoltAddr, err)
	}
	settings := [][2]string{
		{"server.default_listen_address", boltHost},
		{"server.default_advertised_address", boltHost},
		{"server.bolt.listen_address", opts.BoltAddr},
		{"server.http.listen_address", opts.HTTPAddr},
		{"server.https.enabled", "false"},
		{"server.directories.data", l.data()},
		{"server.directories.logs", l.logs()},
		{"server.directories.run", l.run()},
		{"server.memory.heap.initial_size", opts.HeapMax},
		{"server.memory.heap.max_size", opts.HeapMax},
		{"server.memory.pagecache.size", opts.PageCache},
		// One transaction may use an eighth of the heap; beyond it Neo4j fails that transaction
		// alone (TransactionMemoryLimit) instead of filling the pool every transaction shares
		// (dbms.memory.transaction.total.max, 70% of the heap by default).
		{"db.memory.transaction.max", transactionMemoryMax(opts.HeapMax)},
		{"dbms.security.auth_enabled", "true"},
		{"dbms.usage_report.enabled", "false"},
		// Bolt otherwise idles 2 x 5 s in Netty's graceful shutdown, which made every stop
		// take over 10 s; the server is stopped only after its clients are done.
		{"internal.dbms.bolt.netty_server_shutdown_quiet_period", "0"},
		{"internal.server.bolt.connection_shutdown_wait_time", "0s"},
	}
	var conf strings.Builder
	conf.WriteString("# Written by traffikgraph's neo4jserver on every start: edits here are overwritten.\n")
	for _, setting := range settings {
		if strings.ContainsAny(setting[1], "\r\n") {
			return fmt.Errorf("neo4jserver: %s value %q cannot contain a line break", setting[0], setting[1])
		}
		fmt.Fprintf(&conf, "%s=%s\n", setting[0], setting[1])
	}
	if err := os.WriteFile(l.configFile(), []byte(conf.String()), 0o600); err != nil {
		return fmt.Errorf("neo4jserver: write %s: %w", l.configFile(), err)
	}
	return nil
}

// transactionMemoryMax is an eighth of heap, a size validated by memorySize, in kibibytes.
func transactionMemoryMax(heap string) string {
	units := map[byte]int64{'k': 1 << 10, 'm': 1 << 20, 'g': 1 << 30}
	number, unit := heap, int64(1)
	if scale, ok := units[heap[len(heap)-1]|0x20]; ok {
		number, unit = heap[:len(heap)-1], scale
	}
	n, _ := strconv.ParseInt(number, 10, 64)
	return strconv.FormatInt(n*unit/8>>10, 10) + "k"
}
