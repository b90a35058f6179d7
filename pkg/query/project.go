package query

import (
	"github.com/synclog/synclog/pkg/ndjson"
)

// Schema keys as bits, for projections; schemaFields maps names to bits.
const (
	fieldTS = 1 << iota
	fieldOp
	fieldRepo
	fieldScope
	fieldFiles
	fieldBytes
	fieldDurMS
	fieldManifestBefore
	fieldManifestAfter
	fieldTrigger
	fieldMachine
	fieldStatus
	fieldError
	fieldTenantID
	fieldFilesTotal
	fieldSessionID
	allFields = 1<<iota - 1
)

var schemaFields = map[string]uint32{
	"ts": fieldTS, "op": fieldOp, "repo": fieldRepo, "scope": fieldScope,
	"files": fieldFiles, "bytes": fieldBytes, "dur_ms": fieldDurMS,
	"manifest_before": fieldManifestBefore, "manifest_after": fieldManifestAfter,
	"trigger": fieldTrigger, "machine": fieldMachine, "status": fieldStatus,
	"error": fieldError, "tenant_id": fieldTenantID, "files_total": fieldFilesTotal,
	"session_id": fieldSessionID,
}

// projection is the set of top-level keys a row's value is built with.
type projection struct {
	all    bool            // every key of the row
	fields uint32          // the schema keys, as bits
	keys   map[string]bool // every key, for the keys outside the schema
	size   int             // a size hint for the map
}

// fullProjection builds rows whole.
var fullProjection = &projection{all: true, fields: allFields, size: 12}

// newProjection builds rows with the given keys only.
func newProjection(keys []string) *projection {
	p := &projection{keys: make(map[string]bool, len(keys)), size: len(keys)}
	for _, k := range keys {
		p.fields |= schemaFields[k]
		p.keys[k] = true
	}
	return p
}

// eventValue is the row as jq sees it, restricted to the keys of p: the
// object as read (keys sorted when printed), with the same values and types
// for the keys kept, and absent keys absent. The error is that of a key
// outside the schema whose value does not decode, which fails the row
// whatever the projection.
func eventValue(e *ndjson.Event, p *projection) (any, error) {
	m := make(map[string]any, p.size+len(e.Extra))
	f := p.fields
	setString(m, f&fieldTS != 0, "ts", e.TSRaw)
	setString(m, f&fieldOp != 0, "op", e.Op)
	setString(m, f&fieldRepo != 0, "repo", e.Repo)
	setString(m, f&fieldScope != 0, "scope", e.Scope)
	setInt(m, f&fieldFiles != 0, "files", e.Files)
	setInt(m, f&fieldBytes != 0, "bytes", e.Bytes)
	setInt(m, f&fieldDurMS != 0, "dur_ms", e.DurMS)
	setString(m, f&fieldManifestBefore != 0, "manifest_before", e.ManifestBefore)
	setString(m, f&fieldManifestAfter != 0, "manifest_after", e.ManifestAfter)
	setString(m, f&fieldTrigger != 0, "trigger", e.Trigger)
	setString(m, f&fieldMachine != 0, "machine", e.Machine)
	// Optional keys are absent when the row did not hold them (or held
	// null: Extra holds those, as the parser keeps them).
	setString(m, f&fieldStatus != 0 && e.Status != "", "status", e.Status)
	setString(m, f&fieldError != 0 && e.HasError(), "error", e.Error)
	setString(m, f&fieldTenantID != 0 && e.HasTenantID(), "tenant_id", e.TenantID)
	setInt(m, f&fieldFilesTotal != 0 && e.HasFilesTotal, "files_total", e.FilesTotal)
	setString(m, f&fieldSessionID != 0 && e.HasSessionID(), "session_id", e.SessionID)
	for _, x := range e.Extra {
		v, err := ndjson.ParseValue(x.Value)
		if err != nil {
			return nil, err
		}
		if p.all || p.keys[x.Key] {
			m[x.Key] = v
		}
	}
	return m, nil
}

func setString(m map[string]any, ok bool, k, v string) {
	if ok {
		m[k] = v
	}
}

func setInt(m map[string]any, ok bool, k string, v int64) {
	if ok {
		m[k] = int(v)
	}
}

// sharedFields are the schema keys whose values the parser interns, as
// they take few distinct values: rows built with only these keys repeat,
// and such rows can share one value, which saves a map per row. Sharing is
// sound because gojq never changes the values it is given, and only looks
// at their identity when it checks paths, which never see rows (see
// analyzer.strict).
const sharedFields = fieldOp | fieldRepo | fieldScope | fieldTrigger | fieldMachine | fieldStatus | fieldTenantID

// maxShared bounds the values a rowValues keeps.
const maxShared = 1024

// sharedKey is the values of the shared fields of a row ("" when absent or
// not projected).
type sharedKey [7]string

// rowValues builds the values of rows with one projection, sharing the
// values of equal rows when the projection allows. It is not safe for
// concurrent use.
type rowValues struct {
	proj   *projection
	shared map[sharedKey]any // nil: nothing is shared
}

func newRowValues(p *projection) *rowValues {
	r := &rowValues{proj: p}
	if !p.all && p.fields&^sharedFields == 0 {
		r.shared = make(map[sharedKey]any)
	}
	return r
}

// value is eventValue(e, r.proj), or an equal value built before.
func (r *rowValues) value(e *ndjson.Event) (any, error) {
	// Shared values key on strings alone: a tenant_id given as "" (not
	// absent) takes the unshared path.
	if r.shared == nil || len(e.Extra) > 0 || (e.TenantID == "" && e.HasTenantID()) {
		return eventValue(e, r.proj)
	}
	f := r.proj.fields
	k := sharedKey{
		pick(f, fieldOp, e.Op), pick(f, fieldRepo, e.Repo), pick(f, fieldScope, e.Scope),
		pick(f, fieldTrigger, e.Trigger), pick(f, fieldMachine, e.Machine),
		pick(f, fieldStatus, e.Status), pick(f, fieldTenantID, e.TenantID),
	}
	if v, ok := r.shared[k]; ok {
		return v, nil
	}
	v, err := eventValue(e, r.proj)
	if err == nil && len(r.shared) < maxShared {
		r.shared[k] = v
	}
	return v, err
}

func pick(fields, field uint32, s string) string {
	if fields&field == 0 {
		return ""
	}
	return s
}
