package bench

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// Process is one process of the machine whose CPU time each side's requests are charged with:
// on this machine the load generator, the API and Neo4j share the cores, so a side's CPU per
// request bounds its throughput once the cores are full.
type Process struct {
	Name string
	PID  int
}

// ProcessCPU is the CPU time (user and system, all threads) a process spent per request of one
// side, over that side's measured turns.
type ProcessCPU struct {
	Name       string
	PerRequest time.Duration
}

// clockTick is the unit of /proc/PID/stat's times (USER_HZ, 100 on every Linux ABI).
const clockTick = 10 * time.Millisecond

// cpuTime reads the CPU time a process has used so far, its exited threads included.
func cpuTime(pid int) (time.Duration, error) {
	raw, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, fmt.Errorf("CPU time of process %d: %w", pid, err)
	}
	t, err := statCPUTime(string(raw))
	if err != nil {
		return 0, fmt.Errorf("CPU time of process %d: %w", pid, err)
	}
	return t, nil
}

// statCPUTime is the user and system time of a /proc/PID/stat line (proc(5): utime and stime,
// fields 14 and 15). The command name, in parentheses, may hold spaces and parentheses itself,
// so the fields are counted from its last closing parenthesis.
func statCPUTime(stat string) (time.Duration, error) {
	end := strings.LastIndexByte(stat, ')')
	if end < 0 {
		return 0, errors.New("no command name in /proc/PID/stat")
	}
	fields := strings.Fields(stat[end+1:])
	if len(fields) < 13 {
		return 0, fmt.Errorf("/proc/PID/stat has %d fields after the command name, not the 13 or more of proc(5)", len(fields))
	}
	var ticks int64
	for _, field := range fields[11:13] {
		n, err := strconv.ParseInt(field, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("/proc/PID/stat: %w", err)
		}
		ticks += n
	}
	return time.Duration(ticks) * clockTick, nil
}

// cpuTimes reads the CPU time of each process, in order.
func cpuTimes(processes []Process) ([]time.Duration, error) {
	times := make([]time.Duration, len(processes))
	for i, p := range processes {
		t, err := cpuTime(p.PID)
		if err != nil {
			return nil, err
		}
		times[i] = t
	}
	return times, nil
}

// cpuTally sums, for one side, the CPU time each process spent during that side's turns.
type cpuTally []time.Duration

// during runs turn and adds to the tally what each process spent while it ran.
func (t cpuTally) during(processes []Process, turn func() error) error {
	before, err := cpuTimes(processes)
	if err != nil {
		return err
	}
	if err := turn(); err != nil {
		return err
	}
	after, err := cpuTimes(processes)
	if err != nil {
		return err
	}
	for i := range t {
		t[i] += after[i] - before[i]
	}
	return nil
}

// perRequest divides the tally by the side's requests.
func (t cpuTally) perRequest(processes []Process, requests int) []ProcessCPU {
	if len(processes) == 0 || requests == 0 {
		return nil
	}
	out := make([]ProcessCPU, len(processes))
	for i, p := range processes {
		out[i] = ProcessCPU{Name: p.Name, PerRequest: t[i] / time.Duration(requests)}
	}
	return out
}

// jitSettled says, each time it is asked, whether the JIT compiler threads of the JVM pid
// (HotSpot's "C1 CompilerThread" and "C2 CompilerThread", their names cut to 15 characters)
// spent less than jitQuiet of one core since it was last asked, every period: until then the
// JVM is still compiling the hot paths of the work it is given, and its compilers take CPU
// from everything measured.
func jitSettled(pid int, period time.Duration) func() (bool, error) {
	var last time.Duration
	first := true
	return func() (bool, error) {
		now, err := compilerCPU(pid)
		if err != nil {
			return false, err
		}
		spent := now - last
		last = now
		if first {
			first = false
			return false, nil
		}
		return float64(spent) < jitQuiet*float64(period), nil
	}
}

// jitQuiet is the share of one core under which the JIT compilers count as settled.
const jitQuiet = 0.05

// compilerCPU sums the CPU time of the JIT compiler threads of the JVM pid.
func compilerCPU(pid int) (time.Duration, error) {
	tasks, err := os.ReadDir("/proc/" + strconv.Itoa(pid) + "/task")
	if err != nil {
		return 0, fmt.Errorf("threads of process %d: %w", pid, err)
	}
	var total time.Duration
	for _, task := range tasks {
		dir := "/proc/" + strconv.Itoa(pid) + "/task/" + task.Name()
		name, err := os.ReadFile(dir + "/comm")
		if err != nil || !strings.Contains(string(name), "CompilerThre") {
			continue // a thread that ended meanwhile, or not a compiler
		}
		stat, err := os.ReadFile(dir + "/stat")
		if err != nil {
			continue
		}
		t, err := statCPUTime(string(stat))
		if err != nil {
			return 0, fmt.Errorf("thread %s of process %d: %w", task.Name(), pid, err)
		}
		total += t
	}
	return total, nil
}
