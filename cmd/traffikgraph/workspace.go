package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/traffikgraph/traffikgraph/neo4jserver"
	"github.com/traffikgraph/traffikgraph/workspace"
)

const workspaceUsage = `usage: traffikgraph workspace <pull|serve> [flags]

  pull    fetch what your token may see of the hub, through its GraphQL API, into your own Neo4j
  serve   run a local Neo4j (with Browser) to pull into, until interrupted

Run 'traffikgraph workspace <command> -h' for its flags; docs/analysts.md tells the whole story.`

func workspaceCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer, logger *slog.Logger) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, workspaceUsage)
		return errors.New("workspace: no command given")
	}
	switch args[0] {
	case "pull":
		return workspacePull(ctx, args[1:], getenv, stdout, stderr)
	case "serve":
		return workspaceServe(ctx, args[1:], stdout, stderr, logger)
	case "-h", "--help", "help":
		fmt.Fprintln(stdout, workspaceUsage)
		return nil
	}
	fmt.Fprintln(stderr, workspaceUsage)
	return fmt.Errorf("workspace: unknown command %q", args[0])
}

func workspacePull(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("workspace pull", flag.ContinueOnError)
	fs.SetOutput(stderr)
	hub := fs.String("hub", envOr(getenv, "TRAFFIKGRAPH_HUB", ""), "the hub's GraphQL endpoint `URL`, e.g. https://hub.example/graphql (env TRAFFIKGRAPH_HUB)")
	token := fs.String("token", "", "your OAuth access token for the hub (env TRAFFIKGRAPH_TOKEN; prefer it: flags show in process lists)")
	into := fs.String("into", envOr(getenv, "WORKSPACE_NEO4J_URI", ""), "the workspace's Neo4j `URI`, e.g. bolt://127.0.0.1:7688 (env WORKSPACE_NEO4J_URI)")
	database := fs.String("database", envOr(getenv, "WORKSPACE_NEO4J_DATABASE", ""), "its database; empty is the server's default (env WORKSPACE_NEO4J_DATABASE)")
	user := fs.String("user", envOr(getenv, "WORKSPACE_NEO4J_USERNAME", "neo4j"), "its user (env WORKSPACE_NEO4J_USERNAME)")
	password := fs.String("password", "", "its password (env WORKSPACE_NEO4J_PASSWORD)")
	around := fs.String("around", "", "pull around these entity `IDS` (comma-separated)")
	depth := fs.Int("depth", 1, "hops from --around, --search or --incidents-where (0: the seeds alone; at most 4)")
	search := fs.String("search", "", "pull around the hits of this search `TEXT`")
	incidentsWhere := fs.String("incidents-where", "", "pull around the incidents matching this IncidentWhere filter, as `JSON`, e.g. '{\"stage\": \"EXPLOITATION\"}'")
	limit := fs.Int("limit", 1000, "at most this many entities (the hub allows 20000); with no seeds, everything you may see up to it")
	page := fs.Int("page", 500, "entities per request (the hub allows 500)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *token == "" {
		*token = getenv("TRAFFIKGRAPH_TOKEN")
	}
	if *password == "" {
		*password = getenv("WORKSPACE_NEO4J_PASSWORD")
	}
	if *hub == "" || *token == "" || *into == "" {
		return errors.New("workspace pull: --hub, --token (or TRAFFIKGRAPH_TOKEN) and --into are required")
	}
	scope := workspace.Scope{Limit: limit}
	if *around != "" {
		for _, id := range strings.Split(*around, ",") {
			if id = strings.TrimSpace(id); id != "" {
				scope.Around = append(scope.Around, id)
			}
		}
	}
	if *search != "" {
		scope.Search = search
	}
	if *incidentsWhere != "" {
		if !json.Valid([]byte(*incidentsWhere)) {
			return errors.New("workspace pull: --incidents-where is not JSON")
		}
		scope.IncidentsWhere = json.RawMessage(*incidentsWhere)
	}
	if len(scope.Around) > 0 || scope.Search != nil || scope.IncidentsWhere != nil {
		scope.Depth = depth
	}
	driver, err := neo4j.NewDriverWithContext(*into, neo4j.BasicAuth(*user, *password, ""))
	if err != nil {
		return fmt.Errorf("workspace pull: %w", err)
	}
	defer driver.Close(context.WithoutCancel(ctx))
	if err := driver.VerifyConnectivity(ctx); err != nil {
		return fmt.Errorf("workspace pull: the workspace's Neo4j at %s does not answer: %w", *into, err)
	}
	summary, err := workspace.Pull(ctx, workspace.Options{
		Hub: &workspace.Client{URL: *hub, Token: *token}, Scope: scope, PageSize: *page,
		Target: driver, Database: *database, Progress: stderr,
	})
	if err != nil {
		return fmt.Errorf("workspace pull: %w", err)
	}
	fmt.Fprintln(stdout, summary)
	return nil
}

// Where `workspace serve` runs unless told otherwise: beside the hub's embedded defaults, so
// that both may run on one machine.
const (
	workspaceDataDir   = ".workspace"
	workspaceBoltAddr  = "127.0.0.1:7688"
	workspaceHTTPAddr  = "127.0.0.1:7475"
	workspaceGuideAddr = "127.0.0.1:7476"
)

func workspaceServe(ctx context.Context, args []string, stdout, stderr io.Writer, logger *slog.Logger) error {
	fs := flag.NewFlagSet("workspace serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var g graphFlags
	fs.StringVar(&g.dataDir, "data", workspaceDataDir, "folder of the workspace's Neo4j (jars, data, generated password) `DIR`")
	fs.StringVar(&g.boltAddr, "neo4j-bolt", workspaceBoltAddr, "its loopback Bolt address")
	fs.StringVar(&g.httpAddr, "neo4j-http", workspaceHTTPAddr, "its loopback HTTP (Browser) address")
	fs.StringVar(&g.heap, "neo4j-heap", neo4jserver.DefaultHeapMax, "its JVM heap")
	fs.StringVar(&g.pageCache, "neo4j-pagecache", neo4jserver.DefaultPageCache, "its page cache")
	guideAddr := fs.String("guide-addr", workspaceGuideAddr, "loopback address serving the Browser guide and the Bloom perspective")
	envFile := fs.String("env-file", "", "write WORKSPACE_NEO4J_URI, _USERNAME, _PASSWORD to this `FILE` (mode 0600) once Neo4j answers")
	if err := fs.Parse(args); err != nil {
		return err
	}
	guide, err := guideServer(*guideAddr, g.httpAddr)
	if err != nil {
		return err
	}
	defer guide.Close()
	server, err := startEmbedded(ctx, g, "", stdout, logger)
	if err != nil {
		return err
	}
	if *envFile != "" {
		env := fmt.Sprintf("WORKSPACE_NEO4J_URI=%s\nWORKSPACE_NEO4J_USERNAME=%s\nWORKSPACE_NEO4J_PASSWORD=%s\n", server.URI(), server.Username(), server.Password())
		if err := os.WriteFile(*envFile, []byte(env), 0o600); err != nil {
			return errors.Join(err, stopEmbedded(server))
		}
	}
	fmt.Fprintf(stdout, "pull into it: traffikgraph workspace pull --hub <URL> --into %s (password: WORKSPACE_NEO4J_PASSWORD)\n", server.URI())
	fmt.Fprintf(stdout, "in its Browser, run :guide %s; the Bloom perspective is at %s\n", guide.guideURL, guide.perspectiveURL)
	<-ctx.Done()
	return stopEmbedded(server)
}

// guide is the HTTP server of the workspace's Browser guide.
type guide struct {
	*http.Server
	guideURL, perspectiveURL string
}

// guideServer serves the guide on addr (loopback only) to the Browser at browserAddr. The guide's
// URL names the host localhost: Neo4j Browser fetches remote guides only from the hosts of
// browser.remote_content_hostname_allowlist, which holds localhost by default.
func guideServer(addr, browserAddr string) (*guide, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("--guide-addr %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("--guide-addr %q: the guide is served on a loopback address only", addr)
	}
	_, browserPort, err := net.SplitHostPort(browserAddr)
	if err != nil {
		return nil, fmt.Errorf("--neo4j-http %q: %w", browserAddr, err)
	}
	handler, err := workspace.GuideHandler([]string{"http://" + browserAddr, "http://localhost:" + browserPort})
	if err != nil {
		return nil, err
	}
	listener, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("guide: %w", err)
	}
	g := &guide{Server: &http.Server{Handler: handler, ReadHeaderTimeout: 5 * time.Second},
		guideURL: "http://localhost:" + port + "/guide.html", perspectiveURL: "http://localhost:" + port + "/traffikgraph.perspective.json"}
	go func() { _ = g.Serve(listener) }()
	return g, nil
}
