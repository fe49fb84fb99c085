package neo4jserver

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// ensurePassword returns the password of user neo4j: the one in the password file, or a new
// random one written there. Until Neo4j has first started it (re)sets it as the initial
// password, so an interrupted first run heals on the next.
func ensurePassword(ctx context.Context, java, lib string, l layout) (string, error) {
	initialised, err := l.initialised()
	if err != nil {
		return "", err
	}
	password, err := readPassword(l.passwordPath())
	switch {
	case errors.Is(err, fs.ErrNotExist) && initialised:
		return "", fmt.Errorf("neo4jserver: %s is missing but the data in %s was initialised with the password it held; restore the file, or remove %s to start afresh",
			l.passwordPath(), l.data(), l.data())
	case errors.Is(err, fs.ErrNotExist):
		if password, err = createPassword(l.passwordPath()); err != nil {
			return "", err
		}
	case err != nil:
		return "", err
	}
	if !initialised {
		if err := setInitialPassword(ctx, java, lib, l, password); err != nil {
			return "", err
		}
	}
	return password, nil
}

func readPassword(path string) (string, error) {
	content, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("neo4jserver: read password: %w", err)
	}
	password := strings.TrimSpace(string(content))
	if password == "" {
		return "", fmt.Errorf("neo4jserver: password file %s is empty", path)
	}
	return password, nil
}

// createPassword writes a new random password to path, readable by the user only; O_EXCL keeps
// it from overwriting a password written meanwhile.
func createPassword(path string) (string, error) {
	secret := make([]byte, 24)
	if _, err := rand.Read(secret); err != nil {
		return "", fmt.Errorf("neo4jserver: generate password: %w", err)
	}
	// Hex: no character that a command line (neo4j-admin reads a leading "-" as an option), a
	// URL or a shell would treat specially.
	password := hex.EncodeToString(secret)
	file, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", fmt.Errorf("neo4jserver: create password file: %w", err)
	}
	_, err = file.WriteString(password + "\n")
	if err = errors.Join(err, file.Close()); err != nil {
		return "", fmt.Errorf("neo4jserver: write password file %s: %w", path, err)
	}
	return password, nil
}

// setInitialPassword runs `neo4j-admin dbms set-initial-password`, which only has an effect
// before the first start.
func setInitialPassword(ctx context.Context, java, lib string, l layout, password string) error {
	cmd := exec.CommandContext(ctx, java, "-cp", filepath.Join(lib, "*"), "org.neo4j.server.startup.Neo4jAdminCommand",
		"dbms", "set-initial-password", password)
	cmd.Dir = l.home
	cmd.Env = l.environ()
	if output, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("neo4jserver: set initial password: %w: %s", err, lastLines(string(output), 20))
	}
	return nil
}
