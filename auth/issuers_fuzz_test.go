package auth

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoadIssuers: any issuers file is either refused with an error naming the file, or gives
// issuers that pass ValidateIssuers; never a panic.
func FuzzLoadIssuers(f *testing.F) {
	examples, _ := filepath.Glob("examples/*.yaml")
	for _, example := range examples {
		if raw, err := os.ReadFile(example); err == nil {
			f.Add(raw)
		}
	}
	f.Add([]byte("issuers:\n  - url: https://idp.example\n    audience: api\n    grants: [graph:read]\n    partner: {fixed: stt}\n"))
	f.Add([]byte("issuers: []\n"))
	f.Add([]byte("issuers:\n  - url: https://idp.example\n    partner: {claim: partner, fixed: stt}\n    clockSkew: -5s\n"))
	f.Add([]byte("{{{"))
	path := filepath.Join(f.TempDir(), "issuers.yaml")
	f.Fuzz(func(t *testing.T, content []byte) {
		if err := os.WriteFile(path, content, 0o600); err != nil {
			t.Fatal(err)
		}
		issuers, err := LoadIssuers(path)
		if err != nil {
			if len(err.Error()) == 0 {
				t.Fatal("a refusal without a message")
			}
			return
		}
		if len(issuers) == 0 {
			t.Fatal("accepted a file without issuers")
		}
		if err := ValidateIssuers(issuers); err != nil {
			t.Fatalf("accepted issuers that do not validate: %v", err)
		}
	})
}
