package ctdc_test

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/traffikgraph/traffikgraph/seed/ctdc"
)

// maxFuzzRecords bounds the records read of one input: the fuzzer's inputs are small anyway.
const maxFuzzRecords = 10_000

// FuzzReader: any input is refused at its header, or read record by record into cases and row
// errors (each with its line) until its end or a read error; never a panic, never a case
// without its line and reference. The committed corpus (testdata/fuzz/FuzzReader) starts from
// records of the real sample.
func FuzzReader(f *testing.F) {
	f.Add([]byte(""))
	f.Add([]byte("banner;yearOfRegistration\r\n;2019\r\n"))
	f.Fuzz(func(t *testing.T, input []byte) {
		r, err := ctdc.NewReader(bytes.NewReader(input))
		if err != nil {
			if !strings.HasPrefix(err.Error(), "ctdc: ") {
				t.Fatalf("a header refusal that does not say what it is about: %v", err)
			}
			return
		}
		for range maxFuzzRecords {
			c, err := r.Read()
			if errors.Is(err, io.EOF) {
				return
			}
			var rowErr *ctdc.RowError
			if errors.As(err, &rowErr) {
				if rowErr.Line <= 0 {
					t.Fatalf("a row error without its line: %v", rowErr)
				}
				continue
			}
			if err != nil {
				return // the input itself failed: the import stops there
			}
			if c.Line <= 0 || c.Ref == "" {
				t.Fatalf("a case without its line or reference: %+v", c)
			}
		}
	})
}
