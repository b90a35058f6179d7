package main

import (
	"encoding/hex"
	"errors"
	"io"
	"math"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/synclog/synclog/pkg/ndjson"
)

// config is the generator input; equal configs give byte-identical output.
type config struct {
	Rows int
	Days int
	End  time.Time
	Seed uint64
	// ManifestHex is how many hex digits of each 256-bit manifest hash are
	// written after "sha256:"; 0 means all 64. Fewer digits shorten the two
	// manifests of every row (and the hashes quoted in error chains) without
	// changing anything else: the PRNG draws the same values either way.
	ManifestHex int
}

func (c config) validate() error {
	switch {
	case c.Rows < 0:
		return errors.New("-rows must be >= 0")
	case c.Days < 1:
		return errors.New("-days must be >= 1")
	case c.Days > 36500:
		return errors.New("-days must be <= 36500")
	case c.ManifestHex != 0 && (c.ManifestHex < minManifestHex || c.ManifestHex > 64):
		return errors.New("-manifest-hex must be between 12 and 64")
	}
	return nil
}

// Tunables (per row probabilities unless noted).
const (
	pPush          = 0.65
	pBurstStart    = 0.005  // a burst adds 3–6 failures and one recovery
	pIsolatedFail  = 0.02   // single failure outside bursts
	pLongTail      = 0.12   // share of isolated failures with long chains
	pOutOfOrder    = 0.005  // row appended 3–60 s before the previous one
	pUnknownTrig   = 0.001  // trigger outside the known set
	maxBursts      = 6      // concurrently failing (repo, machine) pairs
	pMassChange    = 0.002  // push/pull touching ~all files of the scope
	pHugePull      = 0.0008 // share of pulls that are GB-scale full syncs
	pNoTenant      = 1.0 / 3
	pPrimaryTenant = 0.45
	maxDurMS       = 30000
	minDurMS       = 50
	// Error chains quote a manifest's first 19 bytes ("sha256:" and 12 hex).
	minManifestHex = 12
)

var (
	// UTC hour-of-day activity weights: quiet nights, busy working hours.
	hourWeights = [24]float64{
		0.22, 0.18, 0.14, 0.12, 0.12, 0.16, 0.3, 0.55, 0.85, 1.05, 1.2, 1.2,
		1.1, 1.15, 1.25, 1.25, 1.15, 1.0, 0.85, 0.7, 0.55, 0.45, 0.35, 0.28,
	}
	weekendFactor = 0.45

	unknownTriggers = []string{"manual-test", "hook-v0", "replay"}
)

type scopeState struct {
	name       string
	manifest   string
	filesTotal int64
}

type repoDef struct {
	name   string
	scopes []*scopeState
	pick   picker // over scopes
}

type machine struct {
	name    string
	ip      string // local address, for socket errors
	remote  string // remote endpoint host:port
	home    string // home directory, for filesystem errors
	legacy  bool   // old writer: no status on success, no files_total
	ci      bool
	bpms    float64 // throughput, bytes per millisecond
	tenant  string  // primary tenant
	session string
	lastHit int64 // unix seconds of the last stop-hook row
	trig    picker
}

type burst struct {
	m       *machine
	r       *repoDef
	s       *scopeState
	op      string
	trigger string
	tenant  string
	err     string
	kind    errKind
	left    int   // failures still to emit before the recovery
	next    int64 // unix seconds of the next attempt
	gap     int64
}

type generator struct {
	cfg      config
	rng      *rand.Rand
	repos    []*repoDef
	repoPick picker
	machines []*machine
	machPick picker
	tenants  []string
	tenPick  picker
	triggers []string // index matches machine trigger pickers

	// timestamp slots
	start   int64
	tRng    *rand.Rand
	segCum  []float64 // cumulative weight at each hour segment start
	segW    []float64
	seg     int
	acc     float64 // running sum of exponential spacings
	scale   float64 // total weight / total spacing
	lastTS  int64
	bursts  []*burst // active retry bursts, at most maxBursts
	free    []*burst
	forceB  int // row index that starts a burst if none is active
	forceU  int // row index that gets an unknown trigger
	hexBuf  [64]byte
	uuidBuf [36]byte
}

// picker picks an index with probability proportional to its weight.
type picker struct{ cum []float64 }

func newPicker(w ...float64) picker {
	cum := make([]float64, len(w))
	s := 0.0
	for i, x := range w {
		s += x
		cum[i] = s
	}
	return picker{cum}
}

func (p picker) pick(r *rand.Rand) int {
	x := r.Float64() * p.cum[len(p.cum)-1]
	for i, c := range p.cum {
		if x < c {
			return i
		}
	}
	return len(p.cum) - 1
}

func newGenerator(cfg config) *generator {
	g := &generator{
		cfg: cfg,
		rng: rand.New(rand.NewPCG(cfg.Seed, 0x73796e636c6f6701)),
	}
	g.triggers = []string{"stop-hook", "cron", "cli", "mcp", "write", "edit", "background"}
	devTrig := newPicker(62, 4, 8, 9, 7, 6, 4)
	ciTrig := newPicker(0, 55, 25, 0, 0, 0, 20)

	for i := 1; i <= 12; i++ {
		g.tenants = append(g.tenants, "t-"+pad3(i))
	}
	tw := make([]float64, len(g.tenants))
	for i := range tw {
		tw[i] = 1 / math.Pow(float64(i+1), 0.8)
	}
	g.tenPick = newPicker(tw...)

	type mdef struct {
		name, ip, remote, home string
		legacy, ci             bool
		w, mbps                float64
	}
	mdefs := []mdef{
		{"mbpro-rb", "192.168.1.23", "10.0.0.3:443", "/Users/rb", false, false, 24, 9},
		{"mbair-jl", "192.168.1.41", "10.0.0.3:443", "/Users/jl", false, false, 14, 5},
		{"devbox-01", "10.0.4.11", "10.0.0.3:443", "/home/dev", false, false, 16, 40},
		{"thinkpad-ak", "192.168.0.17", "10.0.0.4:443", "/home/ak", true, false, 11, 6},
		{"nuc-home", "192.168.0.5", "10.0.0.4:443", "/home/rb", true, false, 6, 11},
		{"mbpro-sw", "172.20.10.3", "10.0.0.4:443", "/Users/sw", false, false, 9, 4},
		{"ci-runner-1", "10.0.8.21", "10.0.0.3:443", "/home/runner", false, true, 10, 60},
		{"ci-runner-2", "10.0.8.22", "10.0.0.3:443", "/home/runner", false, true, 8, 60},
	}
	mw := make([]float64, len(mdefs))
	for i, d := range mdefs {
		m := &machine{
			name: d.name, ip: d.ip, remote: d.remote, home: d.home,
			legacy: d.legacy, ci: d.ci, bpms: d.mbps * 1000,
			tenant: g.tenants[i%8], trig: devTrig,
		}
		if d.ci {
			m.trig = ciTrig
		}
		g.machines = append(g.machines, m)
		mw[i] = d.w
	}
	g.machPick = newPicker(mw...)

	type rdef struct {
		name   string
		w      float64
		scopes []string
		sw     []float64
	}
	rdefs := []rdef{
		{"snappy-os", 26, []string{"state", "config", "wiki"}, []float64{6, 2, 2}},
		{"writestead", 20, []string{"wiki", "drafts", "state"}, []float64{5, 4, 2}},
		{"notes-vault", 22, []string{"notes", "attachments", "state"}, []float64{7, 2, 2}},
		{"infra", 12, []string{"config", "state", "secrets"}, []float64{5, 4, 1}},
		{"dotfiles", 8, []string{"config"}, []float64{1}},
		{"research", 12, []string{"papers", "notes", "state"}, []float64{3, 4, 2}},
	}
	rw := make([]float64, len(rdefs))
	for i, d := range rdefs {
		r := &repoDef{name: d.name, pick: newPicker(d.sw...)}
		for _, s := range d.scopes {
			r.scopes = append(r.scopes, &scopeState{
				name:       s,
				manifest:   g.newManifest(),
				filesTotal: int64(100 * math.Exp(g.rng.Float64()*math.Log(40))),
			})
		}
		g.repos = append(g.repos, r)
		rw[i] = d.w
	}
	g.repoPick = newPicker(rw...)

	n := cfg.Rows
	g.forceB, g.forceU = -1, -1
	if n >= 50 {
		g.forceB = n/3 + g.rng.IntN(n/3)
		g.forceU = g.rng.IntN(n)
	}
	g.initSlots()
	return g
}

// initSlots prepares the timestamp sequence: sorted uniform order statistics
// (cumulative exponential spacings, normalized) mapped through the cumulative
// hour-of-day/weekday activity weight. Two passes over a dedicated PRNG avoid
// storing N timestamps.
func (g *generator) initSlots() {
	end := g.cfg.End.UTC().Truncate(time.Second)
	startT := end.Add(-time.Duration(g.cfg.Days) * 24 * time.Hour)
	g.start = startT.Unix()
	nseg := g.cfg.Days * 24
	g.segCum = make([]float64, nseg+1)
	g.segW = make([]float64, nseg)
	for i := 0; i < nseg; i++ {
		t := startT.Add(time.Duration(i) * time.Hour)
		w := hourWeights[t.Hour()]
		if wd := t.Weekday(); wd == time.Saturday || wd == time.Sunday {
			w *= weekendFactor
		}
		g.segW[i] = w
		g.segCum[i+1] = g.segCum[i] + w
	}
	tseed := g.cfg.Seed ^ 0x9e3779b97f4a7c15
	r := rand.New(rand.NewPCG(tseed, 0x736c6f7473))
	total := 0.0
	for i := 0; i <= g.cfg.Rows; i++ {
		total += r.ExpFloat64()
	}
	g.scale = g.segCum[nseg] / total
	g.tRng = rand.New(rand.NewPCG(tseed, 0x736c6f7473))
	g.lastTS = g.start
}

// nextSlot returns the next base timestamp (unix seconds), nondecreasing.
func (g *generator) nextSlot() int64 {
	g.acc += g.tRng.ExpFloat64()
	u := g.acc * g.scale
	last := len(g.segW) - 1
	for g.seg < last && g.segCum[g.seg+1] <= u {
		g.seg++
	}
	off := (u - g.segCum[g.seg]) / g.segW[g.seg] * 3600
	if off < 0 {
		off = 0
	}
	if off > 3599 {
		off = 3599
	}
	return g.start + int64(g.seg)*3600 + int64(off)
}

func generate(w io.Writer, cfg config) error {
	if err := cfg.validate(); err != nil {
		return err
	}
	g := newGenerator(cfg)
	buf := make([]byte, 0, 1024)
	var ev ndjson.Event
	for i := 0; i < cfg.Rows; i++ {
		base := g.nextSlot()
		ev = ndjson.Event{}
		var ts int64
		if b := g.dueBurst(base); b != nil {
			ts = g.burstRow(&ev, b)
			g.lastTS = ts
		} else {
			g.normalRow(&ev, base, i)
			ts = base
			if g.rng.Float64() < pOutOfOrder && g.lastTS > g.start {
				ts = g.lastTS - 3 - g.rng.Int64N(58)
				if ts < g.start {
					ts = g.start
				}
			} else {
				g.lastTS = ts
			}
		}
		ev.TS = time.Unix(ts, 0).UTC()
		buf = ev.AppendJSON(buf[:0])
		if _, err := w.Write(buf); err != nil {
			return err
		}
	}
	return nil
}

func (g *generator) normalRow(ev *ndjson.Event, ts int64, i int) {
	r := g.rng
	m := g.machines[g.machPick.pick(r)]
	repo := g.repos[g.repoPick.pick(r)]
	s := repo.scopes[repo.pick.pick(r)]
	trig := g.triggers[m.trig.pick(r)]
	if i == g.forceU || r.Float64() < pUnknownTrig {
		trig = unknownTriggers[r.IntN(len(unknownTriggers))]
	}
	op := ndjson.OpPull
	if r.Float64() < pPush {
		op = ndjson.OpPush
	}
	tenant := g.pickTenant(m)

	g.fill(ev, m, repo, s, op, trig, tenant, ts)

	startBurst := (i == g.forceB || r.Float64() < pBurstStart) && g.canBurst(m, repo)
	switch {
	case startBurst:
		b := g.newBurst()
		*b = burst{
			m: m, r: repo, s: s, op: op, trigger: trig,
			tenant: tenant, left: 2 + r.IntN(4), gap: 15 + r.Int64N(30),
		}
		b.kind = burstKinds[r.IntN(len(burstKinds))]
		if op == ndjson.OpPull && b.kind == errConflict {
			b.kind = errDialTimeout
		}
		b.err = g.errorChain(b.kind, m, repo, s, op, ts)
		g.fail(ev, b.kind, b.err)
		b.next = ts + b.gap + r.Int64N(b.gap)
	case r.Float64() < pIsolatedFail:
		k := isolatedKinds[r.IntN(len(isolatedKinds))]
		if r.Float64() < pLongTail {
			k = longTailKinds[r.IntN(len(longTailKinds))]
		}
		if op == ndjson.OpPull && (k == errConflict || k == errTLSExpired || k == errLock) {
			k = errDecode
		}
		if op == ndjson.OpPush && k == errNoSpace {
			k = errTLSExpired
		}
		g.fail(ev, k, g.errorChain(k, m, repo, s, op, ts))
	default:
		g.succeed(ev, s)
	}
}

// dueBurst returns the active burst with the earliest next attempt at or
// before base (ties: oldest burst), or nil.
func (g *generator) dueBurst(base int64) *burst {
	var due *burst
	for _, b := range g.bursts {
		if b.next <= base && (due == nil || b.next < due.next) {
			due = b
		}
	}
	return due
}

// canBurst reports whether a new burst may start on (m, repo).
func (g *generator) canBurst(m *machine, repo *repoDef) bool {
	if len(g.bursts) >= maxBursts {
		return false
	}
	for _, b := range g.bursts {
		if b.m == m && b.r == repo {
			return false
		}
	}
	return true
}

func (g *generator) newBurst() *burst {
	var b *burst
	if n := len(g.free); n > 0 {
		b, g.free = g.free[n-1], g.free[:n-1]
	} else {
		b = new(burst)
	}
	g.bursts = append(g.bursts, b)
	return b
}

// burstRow emits the next attempt of burst b and returns its ts. The last
// attempt succeeds and retires the burst.
func (g *generator) burstRow(ev *ndjson.Event, b *burst) int64 {
	ts := b.next
	g.fill(ev, b.m, b.r, b.s, b.op, b.trigger, b.tenant, ts)
	if b.left > 0 {
		b.left--
		g.fail(ev, b.kind, b.err)
		b.gap = b.gap * 3 / 2 // backoff
		b.next = ts + b.gap + g.rng.Int64N(b.gap)
	} else {
		g.succeed(ev, b.s)
		for i, x := range g.bursts {
			if x == b {
				g.bursts = append(g.bursts[:i], g.bursts[i+1:]...)
				break
			}
		}
		g.free = append(g.free, b)
	}
	return ts
}

func (g *generator) pickTenant(m *machine) string {
	x := g.rng.Float64()
	switch {
	case x < pNoTenant:
		return ""
	case x < pNoTenant+pPrimaryTenant:
		return m.tenant
	default:
		return g.tenants[g.tenPick.pick(g.rng)]
	}
}

// fill sets the fields shared by successful and failed rows, assuming success.
func (g *generator) fill(ev *ndjson.Event, m *machine, repo *repoDef, s *scopeState, op, trig, tenant string, ts int64) {
	r := g.rng
	ev.Op, ev.Repo, ev.Scope, ev.Trigger, ev.Machine = op, repo.name, s.name, trig, m.name
	ev.TenantID = tenant
	ev.ManifestBefore, ev.ManifestAfter = s.manifest, s.manifest
	if !m.legacy {
		ev.Status = ndjson.StatusOK
		ev.HasFilesTotal = true
		ev.FilesTotal = s.filesTotal
	}
	if trig == "stop-hook" {
		if m.session == "" || ts-m.lastHit > 45*60 || r.Float64() < 0.08 {
			m.session = g.newUUID()
		}
		m.lastHit = ts
		ev.SessionID = m.session
	}

	// files
	switch {
	case r.Float64() < pMassChange:
		ev.Files = int64(float64(s.filesTotal) * (0.85 + 0.15*r.Float64()))
	case op == ndjson.OpPull && r.Float64() < 0.3, op == ndjson.OpPush && r.Float64() < 0.07:
		ev.Files = 0
	default:
		ev.Files = 1 + int64(r.ExpFloat64()*4.5)
		if ev.Files > 40 {
			ev.Files = 40
		}
	}
	// bytes
	if ev.Files == 0 {
		ev.Bytes = 180 + r.Int64N(1800) // manifest exchange only
	} else {
		mu := math.Log(float64(ev.Files)) + math.Log(24<<10)
		b := math.Exp(mu + 1.4*r.NormFloat64())
		ev.Bytes = int64(math.Min(math.Max(b, 512), 80<<20))
	}
	if op == ndjson.OpPull && r.Float64() < pHugePull {
		ev.Files = s.filesTotal
		ev.Bytes = int64((1 + 3*r.Float64()) * (1 << 30))
	}
	// duration correlated with bytes and the machine's link
	lat := 45 + r.ExpFloat64()*160
	xfer := float64(ev.Bytes) / m.bpms * math.Exp(0.35*r.NormFloat64())
	ev.DurMS = clampDur(lat + xfer)
}

func (g *generator) succeed(ev *ndjson.Event, s *scopeState) {
	if ev.Op != ndjson.OpPush || ev.Files == 0 {
		return
	}
	s.manifest = g.newManifest()
	ev.ManifestAfter = s.manifest
	s.filesTotal += g.rng.Int64N(5) - 1
	s.filesTotal = min(max(s.filesTotal, 100), 5000)
	if ev.HasFilesTotal {
		ev.FilesTotal = s.filesTotal
	}
	if ev.Files > s.filesTotal {
		ev.Files = s.filesTotal
	}
}

// fail turns a row into a failed attempt: manifests stay at the current
// manifest, bytes and duration depend on how far the attempt got.
func (g *generator) fail(ev *ndjson.Event, k errKind, msg string) {
	r := g.rng
	ev.Status = ndjson.StatusError
	ev.Error = msg
	switch k {
	case errDialTimeout:
		ev.Bytes = 0
		ev.DurMS = 10000 + r.Int64N(40)
	case errIOTimeout, errDeadline:
		ev.Bytes = ev.Bytes / int64(2+r.IntN(8))
		ev.DurMS = maxDurMS
	case errRefused, errUnavailable, errConflict, errLock, errDecode:
		ev.Bytes = 0
		ev.DurMS = clampDur(60 + r.ExpFloat64()*300)
	case errReset, errNoSpace, errTLSExpired:
		ev.Bytes = int64(float64(ev.Bytes) * r.Float64())
		ev.DurMS = clampDur(float64(ev.DurMS) * r.Float64())
	}
}

type errKind int

const (
	errDialTimeout errKind = iota
	errIOTimeout
	errRefused
	errReset
	errUnavailable
	errDeadline
	errConflict
	errTLSExpired
	errNoSpace
	errLock
	errDecode
)

var (
	burstKinds    = []errKind{errDialTimeout, errDialTimeout, errRefused, errUnavailable, errIOTimeout}
	isolatedKinds = []errKind{errDialTimeout, errIOTimeout, errReset, errUnavailable, errDeadline, errConflict, errConflict}
	longTailKinds = []errKind{errTLSExpired, errNoSpace, errLock, errDecode}
)

// errorChain renders an error chain the way synclog wraps errors: contexts
// joined by ": ", outermost first.
func (g *generator) errorChain(k errKind, m *machine, repo *repoDef, s *scopeState, op string, ts int64) string {
	r := g.rng
	p := "ob sync: " + op + " " + s.name + ": "
	port := strconv.Itoa(49152 + r.IntN(16000))
	switch k {
	case errDialTimeout:
		return p + "dial tcp " + m.remote + ": i/o timeout"
	case errIOTimeout:
		return p + "read tcp " + m.ip + ":" + port + "->" + m.remote + ": i/o timeout"
	case errRefused:
		return p + "dial tcp " + m.remote + ": connect: connection refused"
	case errReset:
		return p + "write tcp " + m.ip + ":" + port + "->" + m.remote + ": write: connection reset by peer"
	case errUnavailable:
		return p + "unexpected status 503 Service Unavailable"
	case errDeadline:
		return p + "context deadline exceeded"
	case errConflict:
		return p + "manifest conflict: remote at " + g.newManifest()[:19] + ", expected " + s.manifest[:19]
	case errTLSExpired:
		t := time.Unix(ts, 0).UTC()
		return p + "upload blob " + g.newManifest() + ": put https://" + m.remote +
			"/v1/" + repo.name + "/blobs: tls: failed to verify certificate: x509: certificate has expired or is not yet valid: current time " +
			t.Format(time.RFC3339) + " is after " + t.Truncate(24*time.Hour).Format(time.RFC3339)
	case errNoSpace:
		return p + "apply manifest " + s.manifest + ": write " + m.home + "/" + repo.name +
			"/.synclog/objects/tmp-" + port + ": no space left on device"
	case errLock:
		return p + "acquire lock: open " + m.home + "/.synclog/" + repo.name + ".lock: resource temporarily unavailable"
	case errDecode:
		return p + "fetch manifest: decode " + s.manifest[:19] + ": unexpected EOF"
	}
	return p + "unknown error"
}

func clampDur(ms float64) int64 {
	return int64(math.Min(math.Max(ms, minDurMS), maxDurMS))
}

func (g *generator) newManifest() string {
	var raw [32]byte
	for i := 0; i < 32; i += 8 {
		v := g.rng.Uint64()
		for j := 0; j < 8; j++ {
			raw[i+j] = byte(v >> (8 * j))
		}
	}
	hex.Encode(g.hexBuf[:], raw[:])
	n := len(g.hexBuf)
	if g.cfg.ManifestHex != 0 {
		n = g.cfg.ManifestHex
	}
	return "sha256:" + string(g.hexBuf[:n])
}

// newUUID returns a random version-4 UUID string.
func (g *generator) newUUID() string {
	var raw [16]byte
	a, b := g.rng.Uint64(), g.rng.Uint64()
	for j := 0; j < 8; j++ {
		raw[j] = byte(a >> (8 * j))
		raw[8+j] = byte(b >> (8 * j))
	}
	raw[6] = raw[6]&0x0f | 0x40
	raw[8] = raw[8]&0x3f | 0x80
	u := g.uuidBuf[:]
	hex.Encode(u[0:8], raw[0:4])
	u[8] = '-'
	hex.Encode(u[9:13], raw[4:6])
	u[13] = '-'
	hex.Encode(u[14:18], raw[6:8])
	u[18] = '-'
	hex.Encode(u[19:23], raw[8:10])
	u[23] = '-'
	hex.Encode(u[24:36], raw[10:16])
	return string(u)
}

func pad3(i int) string {
	s := strconv.Itoa(i)
	for len(s) < 3 {
		s = "0" + s
	}
	return s
}
