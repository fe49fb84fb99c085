package neo4jserver

import (
	"bytes"
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
)

// pom lists the server's artifacts on Maven Central; embedded so that the binary can assemble
// the server from any working directory.
//
//go:embed pom.xml
var pom []byte

// assemble returns the folder of the server's jars under distDir, fetching them with Maven
// first if needed. The folder is named after a hash of the pom, so a changed pom gets a fresh
// assembly, and it appears only complete: Maven fills a staging folder that is then renamed.
func assemble(ctx context.Context, distDir string, logger *slog.Logger) (string, error) {
	sum := sha256.Sum256(pom)
	dist := filepath.Join(distDir, "dist-"+hex.EncodeToString(sum[:6]))
	lib := filepath.Join(dist, "lib")
	if _, err := os.Stat(lib); err == nil {
		return lib, nil
	}

	mvn, err := exec.LookPath("mvn")
	if err != nil {
		return "", fmt.Errorf("neo4jserver: mvn (Apache Maven) not found; it is needed once, to fetch Neo4j from Maven Central into %s: %w", dist, err)
	}
	if err := os.MkdirAll(dist, 0o755); err != nil {
		return "", fmt.Errorf("neo4jserver: create %s: %w", dist, err)
	}
	pomPath := filepath.Join(dist, "pom.xml")
	if err := os.WriteFile(pomPath, pom, 0o644); err != nil {
		return "", fmt.Errorf("neo4jserver: write %s: %w", pomPath, err)
	}
	staging, err := os.MkdirTemp(dist, "lib-assembling-")
	if err != nil {
		return "", fmt.Errorf("neo4jserver: create staging folder in %s: %w", dist, err)
	}
	defer os.RemoveAll(staging) // nothing left to remove once renamed to lib

	logger.Info("assembling neo4j from Maven Central, once per version; this takes a minute", "dir", dist)
	var output bytes.Buffer
	cmd := exec.CommandContext(ctx, mvn, "-B", "-ntp", "-f", pomPath, "dependency:copy-dependencies",
		"-DincludeScope=runtime", "-DoutputDirectory="+staging)
	cmd.Dir = dist
	cmd.Stdout, cmd.Stderr = &output, &output
	err = cmd.Run()
	logger.Debug("maven output", "output", output.String())
	if err != nil {
		return "", fmt.Errorf("neo4jserver: maven could not fetch neo4j into %s: %w; last lines:\n%s", dist, err, lastLines(output.String(), 30))
	}
	if err := os.Rename(staging, lib); err != nil {
		if _, statErr := os.Stat(lib); statErr == nil {
			return lib, nil // another process assembled it meanwhile
		}
		return "", fmt.Errorf("neo4jserver: move assembled jars to %s: %w", lib, err)
	}
	return lib, nil
}
