// Package servertest holds what tests of the HTTP edge share, in this package and end to end: a
// client that sends its request body slowly.
package servertest

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Trickler is a client that has sent a POST /graphql's headers and the first byte of its body, and
// holds the rest: what a client on a very slow connection does, or one holding a connection on
// purpose.
type Trickler struct {
	conn   net.Conn
	reader *bufio.Reader
	rest   string
}

// StartTrickling sends to baseURL (http://host:port) the headers of a POST /graphql of body,
// with the Authorization header unless it is empty, waits until the server begins to read the
// body (its 100 Continue), and sends the body's first byte only.
func StartTrickling(t *testing.T, baseURL, authorization, body string) *Trickler {
	t.Helper()
	server, err := url.Parse(baseURL)
	require.NoError(t, err)
	conn, err := net.Dial("tcp", server.Host)
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	// So that no test waits forever on a server that never answers.
	require.NoError(t, conn.SetDeadline(time.Now().Add(time.Minute)))
	head := "POST /graphql HTTP/1.1\r\nHost: " + server.Host + "\r\nContent-Type: application/json\r\nExpect: 100-continue\r\n" +
		"Content-Length: " + strconv.Itoa(len(body)) + "\r\n"
	if authorization != "" {
		head += "Authorization: " + authorization + "\r\n"
	}
	_, err = io.WriteString(conn, head+"\r\n")
	require.NoError(t, err)
	reader := bufio.NewReader(conn)
	interim, err := http.ReadResponse(reader, nil)
	require.NoError(t, err)
	require.Equal(t, http.StatusContinue, interim.StatusCode, "the server began to read the body")
	_, err = io.WriteString(conn, body[:1])
	require.NoError(t, err)
	return &Trickler{conn: conn, reader: reader, rest: body[1:]}
}

// Finish sends the rest of the body and returns the response and its body.
func (tr *Trickler) Finish(t *testing.T) (*http.Response, []byte) {
	t.Helper()
	_, err := io.WriteString(tr.conn, tr.rest)
	require.NoError(t, err)
	return tr.Answer(t)
}

// Answer reads the response without sending more of the body.
func (tr *Trickler) Answer(t *testing.T) (*http.Response, []byte) {
	t.Helper()
	res, err := http.ReadResponse(tr.reader, nil)
	require.NoError(t, err)
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return res, body
}
