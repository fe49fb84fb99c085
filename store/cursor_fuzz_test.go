package store

import (
	"strings"
	"testing"
	"time"

	tg "github.com/traffikgraph/traffikgraph"
)

// FuzzDecodeCursor: any `after` is either refused as BAD_USER_INPUT on the after field or is a
// cursor of this very list and ordering; a cursor the store made decodes to its id.
func FuzzDecodeCursor(f *testing.F) {
	k := kindOf(tg.LabelPerson)
	keys := []sortKey{{prop: k.Props[0], desc: true}}
	f.Add(encodeCursor(orderFingerprint(k, keys), "0b5c3f0e-2d7c-4c8e-9a53-5e0f3c9d8a11"))
	f.Add(encodeCursor(orderFingerprint(k, nil), "p-1"))
	f.Add("eyJvIjoiUGVyc29uIiwiaSI6IiJ9")
	f.Add("not base64!")
	f.Add("")
	f.Fuzz(func(t *testing.T, after string) {
		id, err := decodeCursor(k, keys, after)
		if err != nil {
			requireAfterFieldError(t, err)
			return
		}
		if id == "" {
			t.Fatal("an accepted cursor without an id")
		}
		if again, err := decodeCursor(k, keys, encodeCursor(orderFingerprint(k, keys), id)); err != nil || again != id {
			t.Fatalf("the id %q does not survive a round trip: %q, %v", id, again, err)
		}
	})
}

// FuzzDecodeAuditCursor is FuzzDecodeCursor for the audit trail's cursors.
func FuzzDecodeAuditCursor(f *testing.F) {
	f.Add(encodeAuditCursor(&AuditEvent{At: time.Date(2026, 12, 2, 1, 2, 3, 4, time.UTC), ID: "e-1"}))
	f.Add("eyJhdCI6IjIwMjYtMTItMDJUMDE6MDI6MDNaIiwiaWQiOiIgIn0")
	f.Add("%%%")
	f.Fuzz(func(t *testing.T, after string) {
		at, id, err := decodeAuditCursor(after)
		if err != nil {
			requireAfterFieldError(t, err)
			return
		}
		if strings.TrimSpace(id) == "" {
			t.Fatal("an accepted cursor without an id")
		}
		if again, _, err := decodeAuditCursor(encodeAuditCursor(&AuditEvent{At: at, ID: id})); err != nil || !again.Equal(at) {
			t.Fatalf("the time %v does not survive a round trip: %v, %v", at, again, err)
		}
	})
}

func requireAfterFieldError(t *testing.T, err error) {
	t.Helper()
	appErr, ok := err.(*tg.Error)
	if !ok || appErr.Code != "BAD_USER_INPUT" || appErr.Field != "after" {
		t.Fatalf("a refusal that is not BAD_USER_INPUT on after: %#v", err)
	}
}
