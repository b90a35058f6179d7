// Package ndjson reads, validates and appends the sync-event log: one JSON
// object per line, schema v1.
package ndjson

import (
	"strconv"
	"time"
	"unicode/utf8"
)

// Op values.
const (
	OpPush = "push"
	OpPull = "pull"
)

// Status values. An absent status means StatusOK.
const (
	StatusOK    = "ok"
	StatusError = "error"
)

// DefaultTenant is the tenant of a row without tenant_id.
const DefaultTenant = "default"

// RequiredKeys lists the keys every row must carry, in the order synclog writes them.
var RequiredKeys = []string{
	"ts", "op", "repo", "scope", "files", "bytes", "dur_ms",
	"manifest_before", "manifest_after", "trigger", "machine",
}

// Field is a key and its raw JSON value, kept for keys the schema does not name.
type Field struct {
	Key   string
	Value []byte // compact or as read; always valid JSON
}

// Event is one row of the sync-event log (schema v1).
type Event struct {
	TS             time.Time
	TSRaw          string // ts as read, when the parser keeps it
	Op             string
	Repo           string
	Scope          string
	Files          int64
	Bytes          int64
	DurMS          int64
	ManifestBefore string
	ManifestAfter  string
	Trigger        string
	Machine        string
	Status         string // "", "ok" or "error"
	Error          string
	TenantID       string
	FilesTotal     int64
	HasFilesTotal  bool
	SessionID      string
	// Present marks the optional string keys the row holds, so that a key
	// given as "" is told from an absent one.
	Present Keys
	// Extra holds keys outside the schema, in the order they were read.
	Extra []Field
}

// Keys is a set of optional string keys.
type Keys uint8

// Optional string keys, for Event.Present.
const (
	KeyError Keys = 1 << iota
	KeyTenantID
	KeySessionID
)

// HasError reports whether the row holds an error key, "" included.
func (e *Event) HasError() bool { return e.Error != "" || e.Present&KeyError != 0 }

// HasTenantID reports whether the row holds a tenant_id key, "" included.
func (e *Event) HasTenantID() bool { return e.TenantID != "" || e.Present&KeyTenantID != 0 }

// HasSessionID reports whether the row holds a session_id key, "" included.
func (e *Event) HasSessionID() bool { return e.SessionID != "" || e.Present&KeySessionID != 0 }

// Failed reports whether the run failed.
func (e *Event) Failed() bool { return e.Status == StatusError }

// Tenant is the row's tenant, DefaultTenant when absent.
func (e *Event) Tenant() string {
	if e.TenantID == "" {
		return DefaultTenant
	}
	return e.TenantID
}

// AppendJSON appends the row as written by synclog: compact, keys in schema
// order, no HTML escaping, ts in UTC with Z, and a terminating newline.
// Optional keys are written only when set; unknown keys follow the schema keys.
func (e *Event) AppendJSON(b []byte) []byte {
	b = append(b, `{"ts":`...)
	b = appendString(b, FormatTS(e.TS))
	b = appendKV(b, "op", e.Op)
	b = appendKV(b, "repo", e.Repo)
	b = appendKV(b, "scope", e.Scope)
	b = appendKI(b, "files", e.Files)
	b = appendKI(b, "bytes", e.Bytes)
	b = appendKI(b, "dur_ms", e.DurMS)
	b = appendKV(b, "manifest_before", e.ManifestBefore)
	b = appendKV(b, "manifest_after", e.ManifestAfter)
	b = appendKV(b, "trigger", e.Trigger)
	b = appendKV(b, "machine", e.Machine)
	if e.Status != "" {
		b = appendKV(b, "status", e.Status)
	}
	if e.HasError() || e.Status == StatusError {
		b = appendKV(b, "error", e.Error)
	}
	if e.HasTenantID() {
		b = appendKV(b, "tenant_id", e.TenantID)
	}
	if e.HasFilesTotal {
		b = appendKI(b, "files_total", e.FilesTotal)
	}
	if e.HasSessionID() {
		b = appendKV(b, "session_id", e.SessionID)
	}
	for _, f := range e.Extra {
		b = append(b, ',')
		b = appendString(b, f.Key)
		b = append(b, ':')
		b = append(b, f.Value...)
	}
	return append(b, '}', '\n')
}

// FormatTS renders t as RFC 3339 in UTC, with fractional seconds only when present.
func FormatTS(t time.Time) string {
	return t.UTC().Format(time.RFC3339Nano)
}

func appendKV(b []byte, k, v string) []byte {
	b = append(b, ',', '"')
	b = append(b, k...)
	b = append(b, '"', ':')
	return appendString(b, v)
}

func appendKI(b []byte, k string, v int64) []byte {
	b = append(b, ',', '"')
	b = append(b, k...)
	b = append(b, '"', ':')
	return strconv.AppendInt(b, v, 10)
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string without HTML escaping. Invalid
// UTF-8 is replaced by U+FFFD so the output is always valid JSON.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != 0x7f {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, "\ufffd"...)
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// AppendJSONString appends s as a JSON string the way synclog writes strings.
func AppendJSONString(b []byte, s string) []byte { return appendString(b, s) }
