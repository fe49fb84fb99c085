package neo4jserver

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
)

// minJavaVersion is the oldest Java that Neo4j 5 runs on.
const minJavaVersion = 17

// jvmOptions are the JVM flags of the server; they follow the defaults of the official
// distribution's neo4j.conf (server.jvm.additional). The --add-opens let the page cache and
// transaction logs use their fast native paths instead of falling back with warnings.
var jvmOptions = []string{
	"-XX:+UseG1GC",
	"-XX:-OmitStackTraceInFastThrow",
	"-XX:+UnlockExperimentalVMOptions",
	"-XX:+TrustFinalNonStaticFields",
	"-XX:+DisableExplicitGC",
	"-Djdk.nio.maxCachedBufferSize=1024",
	"-Dio.netty.tryReflectionSetAccessible=true",
	"-Djdk.tls.ephemeralDHKeySize=2048",
	"-Djdk.tls.rejectClientInitiatedRenegotiation=true",
	"--add-opens=java.base/java.nio=ALL-UNNAMED",
	"--add-opens=java.base/java.io=ALL-UNNAMED",
	"--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
	"--enable-native-access=ALL-UNNAMED",
	"-Dlog4j2.disable.jmx=true",
	"-Dfile.encoding=UTF-8",
}

// findJava returns the java executable (JAVA_HOME first, as Neo4j's own scripts do, then
// PATH) after checking that it is recent enough.
func findJava(ctx context.Context) (string, error) {
	java := "java"
	if home := os.Getenv("JAVA_HOME"); home != "" {
		java = filepath.Join(home, "bin", "java")
	}
	path, err := exec.LookPath(java)
	if err != nil {
		return "", fmt.Errorf("neo4jserver: java not found (Neo4j needs Java %d or newer on PATH or JAVA_HOME, e.g. the openjdk-17-jre-headless package): %w",
			minJavaVersion, err)
	}
	output, err := exec.CommandContext(ctx, path, "-version").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("neo4jserver: run %s -version: %w: %s", path, err, output)
	}
	version, err := javaMajorVersion(string(output))
	if err != nil {
		return "", fmt.Errorf("neo4jserver: %s: %w", path, err)
	}
	if version < minJavaVersion {
		return "", fmt.Errorf("neo4jserver: %s is Java %d; Neo4j needs Java %d or newer (set JAVA_HOME to a newer one)",
			path, version, minJavaVersion)
	}
	return path, nil
}

// javaVersion matches the first line of `java -version`, e.g. `openjdk version "17.0.15"`,
// `java version "21"` or, before Java 9, `java version "1.8.0_392"`.
var javaVersion = regexp.MustCompile(`version "([0-9]+)(?:\.([0-9]+))?`)

func javaMajorVersion(versionOutput string) (int, error) {
	match := javaVersion.FindStringSubmatch(versionOutput)
	if match == nil {
		return 0, fmt.Errorf("cannot read a version from `java -version`: %q", versionOutput)
	}
	major := match[1]
	if major == "1" && match[2] != "" {
		major = match[2]
	}
	return strconv.Atoi(major)
}
