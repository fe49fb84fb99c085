package neo4jserver

import "syscall"

// processAttributes puts the server in its own process group, so that Stop can signal all of
// it and a Ctrl-C aimed at the parent's group does not kill it mid-write, and asks the kernel
// to send it SIGTERM if the parent dies without stopping it. (The kernel ties that to the OS
// thread that started the process; Go's threads live as long as the process unless a goroutine
// exits while locked to its thread, which this package never does.)
func processAttributes() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
}
