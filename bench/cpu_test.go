package bench

import (
	"context"
	"errors"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestStatCPUTime(t *testing.T) {
	rest := " 1 2 3 4 5 6 7 8 9 10 "
	tests := []struct {
		name, stat string
		want       time.Duration
		wrong      bool
	}{
		{name: "user and system ticks are added", stat: "42 (traffikgraph) S" + rest + "250 50 0 0 20 0 9", want: 3 * time.Second},
		{name: "a command name with spaces and parentheses", stat: "42 (a (b) c) S" + rest + "7 3 0 0", want: 100 * time.Millisecond},
		{name: "no command name", stat: "42 S" + rest + "7 3", wrong: true},
		{name: "too few fields", stat: "42 (x) S 1 2 3", wrong: true},
		{name: "a field that is not a number", stat: "42 (x) S" + rest + "seven 3", wrong: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := statCPUTime(tt.stat)
			if tt.wrong {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

// spin uses CPU until this process's CPU time has grown by at least d (or a minute passed).
func spin(t *testing.T, d time.Duration) {
	t.Helper()
	start, err := cpuTime(os.Getpid())
	require.NoError(t, err)
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); {
		for i := 0; i < 1_000_000; i++ {
			_ = i * i
		}
		now, err := cpuTime(os.Getpid())
		require.NoError(t, err)
		if now-start >= d {
			return
		}
	}
	t.Fatal("this process's CPU time did not grow")
}

func TestCPUTallyChargesATurnWithWhatItsProcessesSpent(t *testing.T) {
	processes := []Process{{Name: "bench", PID: os.Getpid()}}
	tally := make(cpuTally, 1)
	require.NoError(t, tally.during(processes, func() error { spin(t, 100*time.Millisecond); return nil }))
	assert.GreaterOrEqual(t, tally[0], 100*time.Millisecond)
	perRequest := tally.perRequest(processes, 4)
	require.Len(t, perRequest, 1)
	assert.Equal(t, ProcessCPU{Name: "bench", PerRequest: tally[0] / 4}, perRequest[0])

	failing := errors.New("the turn failed")
	assert.ErrorIs(t, tally.during(processes, func() error { return failing }), failing)
	assert.Error(t, tally.during([]Process{{Name: "gone", PID: -1}}, func() error { return nil }), "a process that does not exist")
	assert.Nil(t, tally.perRequest(nil, 4), "no processes, no columns")
}

func TestWarmAsksEverySideUntilItsTimeIsUpAndTheMachineHasSettled(t *testing.T) {
	var asked [2]atomic.Int64
	sides := []func(ctx context.Context, i int) error{
		func(context.Context, int) error { asked[0].Add(1); return nil },
		func(context.Context, int) error { asked[1].Add(1); return nil },
	}
	warmed, err := warm(context.Background(), sides, 20*time.Millisecond, time.Millisecond, nil)
	require.NoError(t, err)
	assert.Positive(t, asked[0].Load())
	assert.Positive(t, asked[1].Load())
	assert.GreaterOrEqual(t, warmed, 20*time.Millisecond)

	checks := 0
	settledOnTheThirdCheck := func() (bool, error) { checks++; return checks == 3, nil }
	_, err = warm(context.Background(), sides, time.Millisecond, time.Millisecond, settledOnTheThirdCheck)
	require.NoError(t, err)
	assert.Equal(t, 3, checks, "the warm-up goes on until the machine has settled")

	asked[0].Store(0)
	warmed, err = warm(context.Background(), sides, 0, time.Millisecond, settledOnTheThirdCheck)
	require.NoError(t, err)
	assert.Zero(t, asked[0].Load(), "no warm-up asked for")
	assert.Zero(t, warmed)

	failing := errors.New("refused")
	_, err = warm(context.Background(), []func(ctx context.Context, i int) error{func(context.Context, int) error { return failing }},
		time.Minute, time.Millisecond, nil)
	assert.ErrorIs(t, err, failing, "a failing side ends the warm-up at once")
	broken := errors.New("cannot tell")
	_, err = warm(context.Background(), sides, time.Millisecond, time.Millisecond, func() (bool, error) { return false, broken })
	assert.ErrorIs(t, err, broken, "a check that cannot tell ends the warm-up with its error")
}

func TestJITSettled(t *testing.T) {
	// This process is no JVM: it has no compiler threads, so they spend nothing.
	settled := jitSettled(os.Getpid(), time.Second)
	first, err := settled()
	require.NoError(t, err)
	assert.False(t, first, "the first ask only starts the count")
	second, err := settled()
	require.NoError(t, err)
	assert.True(t, second)
	_, err = jitSettled(-1, time.Second)()
	assert.Error(t, err, "a process that does not exist")
}

func TestCPUMarkdown(t *testing.T) {
	assert.Empty(t, CPUMarkdown([]Result{{Case: "a", Concurrency: 1}}), "no process measured, no table")
	side := func(api, neo4j time.Duration) Stats {
		return Stats{CPU: []ProcessCPU{{Name: "API", PerRequest: api}, {Name: "Neo4j", PerRequest: neo4j}}}
	}
	table := CPUMarkdown([]Result{{Case: "a", Concurrency: 16, GraphQL: side(time.Millisecond, time.Millisecond), Cypher: side(0, time.Millisecond)}})
	assert.Equal(t, "| case | clients | GraphQL: API | GraphQL: Neo4j | GraphQL total | Cypher: API | Cypher: Neo4j | Cypher total | ratio |\n"+
		"|---|---:|---:|---:|---:|---:|---:|---:|---:|\n"+
		"| a | 16 | 1.00 ms | 1.00 ms | 2.00 ms | 0.00 ms | 1.00 ms | 1.00 ms | 2.00 |\n", table)
}
