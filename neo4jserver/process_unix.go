//go:build unix && !linux

package neo4jserver

import "syscall"

// processAttributes puts the server in its own process group, so that Stop can signal all of
// it and a Ctrl-C aimed at the parent's group does not kill it mid-write. Only Linux can also
// tie its life to the parent's.
func processAttributes() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
