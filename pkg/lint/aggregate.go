package lint

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"io/fs"
	"math"
	"os"
	"strconv"
	"time"

	"github.com/synclog/synclog/pkg/ndjson"
)

// CostKind is the kind of the rows synclog cost appends to the aggregate file.
const CostKind = "sync_cost"

// costIntKeys are the counts of a sync_cost row, in the order cost writes them.
var costIntKeys = []string{"runs", "bytes_pushed", "bytes_pulled", "cost_usd_cents"}

// lintAggregate checks the cost aggregate file: every line a JSON object
// with a string kind, sync_cost rows whole and well typed, no row twice,
// and no sync_cost row for a (period, tenant) already there. Rows of other
// kinds are not looked into. A missing file holds nothing.
func (l *linter) lintAggregate(ctx context.Context, src Source) error {
	f, err := os.Open(src.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil {
		return err
	} else if !fi.Mode().IsRegular() {
		return fmt.Errorf("%s: not a regular file", src.Path)
	}
	a := aggregatePass{l: l, name: src.name(), seed: maphash.MakeSeed()}
	if l.active(RuleDuplicateRow) {
		a.rows = map[uint64]int64{}
		a.keys = map[[2]string]int64{}
	}
	br := bufio.NewReaderSize(f, 64<<10)
	for n := int64(1); ; n++ {
		if n%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		b, err := br.ReadBytes('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("%s: %w", src.Path, err)
		}
		eof := err != nil
		if eof && len(bytes.TrimSpace(b)) > 0 {
			l.emitDefault(a.name, n, RuleTornLine, "the file does not end with a newline: its last line is a torn write or one still in flight")
		}
		if eof {
			return nil
		}
		text := bytes.TrimSuffix(bytes.TrimSuffix(b, []byte{'\n'}), []byte{'\r'})
		if n == 1 {
			text = bytes.TrimPrefix(text, []byte{0xEF, 0xBB, 0xBF})
		}
		if len(bytes.TrimSpace(text)) > 0 {
			a.line(n, text)
		}
	}
}

type aggregatePass struct {
	l    *linter
	name string
	seed maphash.Seed
	rows map[uint64]int64    // hash of each row -> first line
	keys map[[2]string]int64 // (period, tenant) of each sync_cost row -> first line
}

func (a *aggregatePass) line(n int64, text []byte) {
	l := a.l
	v, err := ndjson.ParseValue(text)
	if err != nil {
		if msg, ok := tornFragment(text); ok && l.active(RuleTornLine) {
			l.emitDefault(a.name, n, RuleTornLine, msg)
			return
		}
		l.emitDefault(a.name, n, RuleInvalidJSON, "invalid JSON: "+err.Error())
		return
	}
	obj, ok := v.(map[string]any)
	if !ok {
		l.emitDefault(a.name, n, RuleInvalidJSON, "not a JSON object")
		return
	}
	if a.rows != nil {
		h := maphash.Bytes(a.seed, text)
		if first, seen := a.rows[h]; seen {
			l.emitDefault(a.name, n, RuleDuplicateRow, fmt.Sprintf("row identical to line %d", first))
			return
		}
		a.rows[h] = n
	}
	rule, msg := checkCostRow(obj)
	if rule != "" {
		l.emitDefault(a.name, n, rule, msg)
		return
	}
	if obj["kind"] != CostKind || a.keys == nil {
		return
	}
	k := [2]string{obj["period"].(string), obj["tenant_id"].(string)}
	if first, seen := a.keys[k]; seen {
		l.emitDefault(a.name, n, RuleDuplicateRow, fmt.Sprintf("a second %s row for period %s and tenant %s (the first is line %d): two cost runs raced, or a row was copied",
			CostKind, k[0], k[1], first))
		return
	}
	a.keys[k] = n
}

// checkCostRow returns the rule and message of the first thing wrong with a
// row of the aggregate file, or "" when nothing is.
func checkCostRow(obj map[string]any) (string, string) {
	kv, ok := obj["kind"]
	if !ok {
		return RuleMissingField, `missing key "kind"`
	}
	kind, ok := kv.(string)
	if !ok {
		return RuleBadType, `key "kind": want a string, got ` + jsonKind(kv)
	}
	if kind != CostKind {
		return "", ""
	}
	for _, k := range []string{"period", "tenant_id"} {
		v, ok := obj[k]
		if !ok {
			return RuleMissingField, fmt.Sprintf("missing key %q", k)
		}
		s, ok := v.(string)
		if !ok || s == "" {
			return RuleBadType, fmt.Sprintf("key %q: want a non-empty string, got %s", k, jsonKind(v))
		}
	}
	if p := obj["period"].(string); !isPeriodLabel(p) {
		return RuleBadType, fmt.Sprintf(`key "period": %q is not a day (2026-04-16), ISO week (2026-W16) or month (2026-04)`, p)
	}
	for _, k := range costIntKeys {
		v, ok := obj[k]
		if !ok {
			return RuleMissingField, fmt.Sprintf("missing key %q", k)
		}
		if !isCount(v) {
			return RuleBadType, fmt.Sprintf("key %q: want an integer >= 0, got %s", k, jsonKind(v))
		}
	}
	v, ok := obj["cost_exact_cents"]
	if !ok {
		return RuleMissingField, `missing key "cost_exact_cents"`
	}
	if s, ok := v.(string); !ok || !isDecimal(s) {
		return RuleBadType, `key "cost_exact_cents": want a decimal in a string, got ` + jsonKind(v)
	}
	v, ok = obj["generated_at"]
	if !ok {
		return RuleMissingField, `missing key "generated_at"`
	}
	s, ok := v.(string)
	if !ok {
		return RuleBadType, `key "generated_at": want a string, got ` + jsonKind(v)
	}
	if _, err := ndjson.ParseTS([]byte(s)); err != nil {
		return RuleBadTS, fmt.Sprintf(`key "generated_at": %q is not an RFC 3339 time with a zone`, s)
	}
	return "", ""
}

// jsonKind names a decoded JSON value for a message.
func jsonKind(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case string:
		return strconv.Quote(v)
	case bool:
		return "a boolean"
	case int:
		return "number " + strconv.Itoa(v)
	case float64:
		return "number " + strconv.FormatFloat(v, 'g', -1, 64)
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

func isCount(v any) bool {
	switch v := v.(type) {
	case int:
		return v >= 0
	case float64:
		return v >= 0 && v == math.Trunc(v) && v <= 1<<53
	}
	return false
}

// isDecimal accepts digits with an optional fraction: 12, 0.084615.
func isDecimal(s string) bool {
	digits := func(s string) bool {
		for i := 0; i < len(s); i++ {
			if s[i] < '0' || s[i] > '9' {
				return false
			}
		}
		return s != ""
	}
	if i := bytes.IndexByte([]byte(s), '.'); i >= 0 {
		return digits(s[:i]) && digits(s[i+1:])
	}
	return digits(s)
}

// isPeriodLabel accepts a day (2026-04-16), an ISO week (2026-W16) or a
// month (2026-04).
func isPeriodLabel(s string) bool {
	if t, err := time.Parse("2006-01-02", s); err == nil && t.Format("2006-01-02") == s {
		return true
	}
	if t, err := time.Parse("2006-01", s); err == nil && t.Format("2006-01") == s {
		return true
	}
	if len(s) == 8 && s[4] == '-' && s[5] == 'W' {
		y, err1 := strconv.Atoi(s[:4])
		w, err2 := strconv.Atoi(s[6:])
		if err1 == nil && err2 == nil && s[0] != '-' && s[0] != '+' && s[6] >= '0' && s[6] <= '9' && y >= 0 && w >= 1 && w <= isoWeeks(y) {
			return true
		}
	}
	return false
}

// isoWeeks is the number of ISO weeks of year y: 53 when December 28 falls
// in week 53.
func isoWeeks(y int) int {
	_, w := time.Date(y, 12, 28, 0, 0, 0, 0, time.UTC).ISOWeek()
	return w
}
