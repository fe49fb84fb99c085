package neo4jserver_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/neo4j/neo4j-go-driver/v5/neo4j"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/traffikgraph/traffikgraph/neo4jserver"
)

func TestStart(t *testing.T) {
	opts := testOptions(t, t.TempDir())
	server := mustStart(t, opts)

	t.Run("RunsCypherWithTheGeneratedPassword", func(t *testing.T) {
		assert.Equal(t, "bolt://"+opts.BoltAddr, server.URI())
		assert.Equal(t, "neo4j", server.Username())
		assert.GreaterOrEqual(t, len(server.Password()), 16)

		result := query(t, server, "RETURN 40 + $two AS answer", map[string]any{"two": 2})
		require.Len(t, result.Records, 1)
		answer, _ := result.Records[0].Get("answer")
		assert.EqualValues(t, 42, answer)
	})

	t.Run("KeepsThePasswordInAPrivateFile", func(t *testing.T) {
		path := filepath.Join(opts.Dir, "neo4j-password")
		info, err := os.Stat(path)
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o600), info.Mode().Perm())
		content, err := os.ReadFile(path)
		require.NoError(t, err)
		assert.Equal(t, server.Password()+"\n", string(content))
	})

	t.Run("BoundsTheMemoryOfEachTransaction", func(t *testing.T) {
		// An eighth of the 512m heap: one greedy query fails alone instead of filling the pool
		// every transaction shares.
		result := query(t, server, "SHOW SETTINGS YIELD name, value WHERE name = 'db.memory.transaction.max' RETURN value", nil)
		require.Len(t, result.Records, 1)
		value, _ := result.Records[0].Get("value")
		assert.Equal(t, "64.00MiB", value)
	})

	t.Run("ServesTheBrowser", func(t *testing.T) {
		assert.Equal(t, "http://"+opts.HTTPAddr+"/browser/", server.BrowserURL())
		response, err := http.Get(server.BrowserURL())
		require.NoError(t, err)
		defer response.Body.Close()
		body, err := io.ReadAll(response.Body)
		require.NoError(t, err)
		assert.Equal(t, http.StatusOK, response.StatusCode)
		assert.Contains(t, string(body), "<title>Neo4j Browser</title>")
	})

	t.Run("RefusesASecondServerOnTheSamePorts", func(t *testing.T) {
		started := time.Now()
		_, err := neo4jserver.Start(t.Context(), testOptions(t, t.TempDir(), withBoltAddr(opts.BoltAddr)))
		require.Error(t, err)
		assert.Contains(t, err.Error(), "Bolt address "+opts.BoltAddr+" is not free")
		assert.Less(t, time.Since(started), time.Second)
	})

	t.Run("ReportsWhyASecondServerOnTheSameDirExits", func(t *testing.T) {
		// Fresh ports pass the early checks, so it is Neo4j itself that fails, on the store lock.
		_, err := neo4jserver.Start(t.Context(), testOptions(t, opts.Dir))
		require.Error(t, err)
		t.Log(err)
		assert.Contains(t, err.Error(), "neo4j exited during start")
		assert.Contains(t, err.Error(), "neo4j.log")
	})

	t.Run("KeepsDataAndPasswordAcrossRestarts", func(t *testing.T) {
		id := uuid.NewString()
		query(t, server, "CREATE (:RestartMarker {id: $id})", map[string]any{"id": id})
		stopCtx, cancel := context.WithTimeout(t.Context(), time.Minute)
		defer cancel()
		require.NoError(t, server.Stop(stopCtx))
		assertFree(t, opts.BoltAddr)

		restarted := mustStart(t, opts)

		assert.Equal(t, server.Password(), restarted.Password())
		result := query(t, restarted, "MATCH (marker:RestartMarker {id: $id}) RETURN count(marker) AS markers", map[string]any{"id": id})
		markers, _ := result.Records[0].Get("markers")
		assert.EqualValues(t, 1, markers)
	})

	t.Run("RefusesDataWhosePasswordFileIsGone", func(t *testing.T) {
		passwordPath := filepath.Join(opts.Dir, "neo4j-password")
		require.NoError(t, os.Rename(passwordPath, passwordPath+".away"))
		t.Cleanup(func() { require.NoError(t, os.Rename(passwordPath+".away", passwordPath)) })

		_, err := neo4jserver.Start(t.Context(), testOptions(t, opts.Dir))

		require.Error(t, err)
		t.Log(err)
		assert.Contains(t, err.Error(), passwordPath+" is missing")
	})
}

func TestStartFailsClearly(t *testing.T) {
	// Each case must fail well before a server could have started.
	const quickly = 10 * time.Second

	pathWithJavaOnly := t.TempDir()
	java, err := filepath.EvalSymlinks(mustLookJava(t))
	require.NoError(t, err)
	require.NoError(t, os.Symlink(java, filepath.Join(pathWithJavaOnly, "java")))

	pathWithOldJava := t.TempDir()
	oldJava := "#!/bin/sh\necho 'java version \"1.8.0_392\"' >&2\n"
	require.NoError(t, os.WriteFile(filepath.Join(pathWithOldJava, "java"), []byte(oldJava), 0o755))

	tests := []struct {
		name    string
		opts    func(t *testing.T) neo4jserver.Options
		path    string // PATH for the case; empty keeps the test's own
		wantErr string
	}{
		{
			name: "BoltPortTaken",
			opts: func(t *testing.T) neo4jserver.Options {
				return testOptions(t, t.TempDir(), withBoltAddr(occupiedAddr(t)))
			},
			wantErr: "Bolt address 127.0.0.1:",
		},
		{
			name: "HTTPPortTaken",
			opts: func(t *testing.T) neo4jserver.Options {
				return testOptions(t, t.TempDir(), withHTTPAddr(occupiedAddr(t)))
			},
			wantErr: "is not free",
		},
		{
			name: "NonLoopbackAddress",
			opts: func(t *testing.T) neo4jserver.Options {
				return testOptions(t, t.TempDir(), withBoltAddr("0.0.0.0:17687"))
			},
			wantErr: `listen address "0.0.0.0:17687" is not loopback`,
		},
		{
			name: "MalformedHeapSize",
			opts: func(t *testing.T) neo4jserver.Options {
				opts := testOptions(t, t.TempDir())
				opts.HeapMax = "1g\ndbms.security.auth_enabled=false"
				return opts
			},
			wantErr: "Options.HeapMax",
		},
		{
			name:    "JavaMissing",
			opts:    func(t *testing.T) neo4jserver.Options { return testOptions(t, t.TempDir()) },
			path:    t.TempDir(),
			wantErr: "java not found",
		},
		{
			name:    "JavaTooOld",
			opts:    func(t *testing.T) neo4jserver.Options { return testOptions(t, t.TempDir()) },
			path:    pathWithOldJava,
			wantErr: "is Java 8; Neo4j needs Java 17 or newer",
		},
		{
			name: "MavenMissingOnFirstRun",
			opts: func(t *testing.T) neo4jserver.Options {
				opts := testOptions(t, t.TempDir())
				opts.DistDir = t.TempDir()
				return opts
			},
			path:    pathWithJavaOnly,
			wantErr: "mvn (Apache Maven) not found",
		},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			opts := test.opts(t)
			if test.path != "" {
				t.Setenv("PATH", test.path)
				t.Setenv("JAVA_HOME", "")
			}
			started := time.Now()

			server, err := neo4jserver.Start(t.Context(), opts)

			require.Error(t, err)
			t.Log(err)
			assert.Nil(t, server)
			assert.Contains(t, err.Error(), test.wantErr)
			assert.Less(t, time.Since(started), quickly)
		})
	}
}

// sharedDistDir holds the Maven-assembled server for all tests and test runs, so that Maven
// runs once per machine rather than once per test.
func sharedDistDir() string {
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	return filepath.Join(cache, "traffikgraph", "neo4jserver-test")
}

// testOptions gives a server in dir on free loopback ports (never the shared dev server's 7687
// and 7474) with memory settings small enough for several to run at once.
func testOptions(t *testing.T, dir string, modify ...func(*neo4jserver.Options)) neo4jserver.Options {
	t.Helper()
	opts := neo4jserver.Options{
		Dir:          dir,
		DistDir:      sharedDistDir(),
		BoltAddr:     freeAddr(t),
		HTTPAddr:     freeAddr(t),
		HeapMax:      "512m",
		PageCache:    "64m",
		StartTimeout: neo4jserver.DefaultStartTimeout,
		Logger:       slog.New(slog.NewTextHandler(t.Output(), nil)),
	}
	for _, change := range modify {
		change(&opts)
	}
	return opts
}

func withBoltAddr(addr string) func(*neo4jserver.Options) {
	return func(opts *neo4jserver.Options) { opts.BoltAddr = addr }
}

func withHTTPAddr(addr string) func(*neo4jserver.Options) {
	return func(opts *neo4jserver.Options) { opts.HTTPAddr = addr }
}

// mustStart starts a server (assembling it first if this machine never has) and stops it when
// the test ends.
func mustStart(t *testing.T, opts neo4jserver.Options) *neo4jserver.Server {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Minute)
	defer cancel()
	server, err := neo4jserver.Start(ctx, opts)
	require.NoError(t, err)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		assert.NoError(t, server.Stop(ctx))
	})
	return server
}

func query(t *testing.T, server *neo4jserver.Server, cypher string, params map[string]any) *neo4j.EagerResult {
	t.Helper()
	driver, err := neo4j.NewDriverWithContext(server.URI(), neo4j.BasicAuth(server.Username(), server.Password(), ""))
	require.NoError(t, err)
	defer func() { assert.NoError(t, driver.Close(context.Background())) }()
	result, err := neo4j.ExecuteQuery(t.Context(), driver, cypher, params, neo4j.EagerResultTransformer,
		neo4j.ExecuteQueryWithDatabase("neo4j"))
	require.NoError(t, err)
	return result
}

func freeAddr(t *testing.T) string {
	t.Helper()
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer listener.Close()
	return listener.Addr().String()
}

// occupiedAddr returns a loopback address that something listens on until the test ends.
func occupiedAddr(t *testing.T) string {
	t.Helper()
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { listener.Close() })
	return listener.Addr().String()
}

func assertFree(t *testing.T, addr string) {
	t.Helper()
	listener, err := net.Listen("tcp", addr)
	if assert.NoError(t, err, "nothing should listen on %s any more", addr) {
		listener.Close()
	}
}

func mustLookJava(t *testing.T) string {
	t.Helper()
	if home := os.Getenv("JAVA_HOME"); home != "" {
		return filepath.Join(home, "bin", "java")
	}
	java, err := exec.LookPath("java")
	require.NoError(t, err)
	return java
}

// parentDirEnv, when set, turns TestServerStopsWithItsParent into the parent process: it
// starts a server in that folder, says "ready" and waits to be killed.
const parentDirEnv = "NEO4JSERVER_TEST_PARENT_DIR"

func TestServerStopsWithItsParent(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("only Linux ties the server's life to its parent's")
	}
	if dir := os.Getenv(parentDirEnv); dir != "" {
		mustStart(t, testOptions(t, dir))
		fmt.Println("ready")
		select {} // until the test below kills this process
	}

	dir := t.TempDir()
	parent := exec.Command(os.Args[0], "-test.run=^TestServerStopsWithItsParent$")
	parent.Env = append(os.Environ(), parentDirEnv+"="+dir)
	parent.Stderr = t.Output()
	stdout, err := parent.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, parent.Start())
	ready, err := bufio.NewReader(stdout).ReadString('\n')
	require.NoError(t, err, "the parent should have started its server")
	require.Equal(t, "ready\n", ready)
	require.NotEmpty(t, serverProcesses(t, dir))

	require.NoError(t, parent.Process.Kill())
	require.Error(t, parent.Wait(), "the parent was killed")

	assert.Eventually(t, func() bool { return len(serverProcesses(t, dir)) == 0 },
		time.Minute, 200*time.Millisecond, "the server should stop once its parent is gone")
}

// serverProcesses lists the pids of Linux processes running a server whose home is dir.
func serverProcesses(t *testing.T, dir string) []string {
	t.Helper()
	cmdlines, err := filepath.Glob("/proc/[0-9]*/cmdline")
	require.NoError(t, err)
	var pids []string
	for _, path := range cmdlines {
		cmdline, err := os.ReadFile(path)
		if err == nil && strings.Contains(string(cmdline), "--home-dir="+dir+"\x00") {
			pids = append(pids, filepath.Base(filepath.Dir(path)))
		}
	}
	return pids
}

// TestRestartsAfterItIsKilled: a server that dies (SIGKILL, as the kernel's OOM killer does) is
// started again by itself, with every committed transaction, and says while it is down why.
func TestRestartsAfterItIsKilled(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("finds the server's process through /proc")
	}
	opts := testOptions(t, t.TempDir())
	opts.RestartBackoff = 100 * time.Millisecond
	server := mustStart(t, opts)
	id := uuid.NewString()
	query(t, server, "CREATE (:KillMarker {id: $id})", map[string]any{"id": id})
	require.NoError(t, server.Down())
	first := server.PID()
	assert.Equal(t, []string{strconv.Itoa(first)}, serverProcesses(t, opts.Dir), "PID is the running server's JVM")

	killServer(t, opts.Dir)

	require.Eventually(t, func() bool { return server.Down() != nil }, time.Minute, 20*time.Millisecond,
		"the server says it is down once its process has died")
	assert.Contains(t, server.Down().Error(), "signal: killed")
	assert.Contains(t, server.Down().Error(), "is being restarted (restart 1 of at most 5")
	require.Eventually(t, func() bool { return server.Down() == nil }, 11*time.Minute, 200*time.Millisecond,
		"the server is restarted without anyone asking")
	assert.EqualValues(t, 1, server.Restarts())
	assert.Equal(t, []string{strconv.Itoa(server.PID())}, serverProcesses(t, opts.Dir), "PID follows the restart")
	assert.NotEqual(t, first, server.PID())
	result := query(t, server, "MATCH (marker:KillMarker {id: $id}) RETURN count(marker) AS markers", map[string]any{"id": id})
	markers, _ := result.Records[0].Get("markers")
	assert.EqualValues(t, 1, markers, "what was committed before the kill is there")
}

// TestGivesUpAfterItsRestartLimit: a server that keeps dying is left down, and says so.
func TestGivesUpAfterItsRestartLimit(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("finds the server's process through /proc")
	}
	opts := testOptions(t, t.TempDir())
	opts.MaxRestarts = -1
	server, err := neo4jserver.Start(t.Context(), opts)
	require.NoError(t, err)

	killServer(t, opts.Dir)

	require.Eventually(t, func() bool { return server.Down() != nil }, time.Minute, 20*time.Millisecond)
	assert.Contains(t, server.Down().Error(), "was not restarted")
	assert.Zero(t, server.Restarts())
	assert.Empty(t, serverProcesses(t, opts.Dir))
	err = server.Stop(t.Context())
	assert.ErrorContains(t, err, "neo4j had already exited", "Stop tells how it ended")
}

// killServer sends SIGKILL to the server process whose home is dir.
func killServer(t *testing.T, dir string) {
	t.Helper()
	pids := serverProcesses(t, dir)
	require.Len(t, pids, 1)
	pid, err := strconv.Atoi(pids[0])
	require.NoError(t, err)
	require.NoError(t, syscall.Kill(pid, syscall.SIGKILL))
}
