# The numbers of `synclog summarize`, the way the shell pipeline computed
# them: one pass of awk over the ndjson log. Prints canonical TSV lines
# (section, key, values...), unsorted:
#   pushes_per_hour  HOUR:00:00Z  pushes  failed     (24 hours, the last holds now)
#   bytes_per_day    YYYY-MM-DD   pushed  pulled     (7 UTC days, the last holds now)
#   repos            REPO         runs    errors  last_error|null   (last 7 days)
#   machines         MACHINE      last successful push (RFC 3339, whole seconds)|null
#   triggers         TRIGGER      runs    errors     (last 7 days)
#
#   mawk -v now=2026-04-16T23:47:13Z -f summarize.awk LOG...
#
# Fields are found by key with match(), so keys may come in any order; this
# assumes what synclog writes: compact JSON, no escaped quotes inside the
# strings it reads, and ts in UTC with "Z", so that its first 19 characters
# compare as instants.
BEGIN {
	if (now !~ /^[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]Z$/) {
		print "summarize.awk: -v now=YYYY-MM-DDTHH:MM:SSZ is required" > "/dev/stderr"
		exit 2
	}
	nowk = substr(now, 1, 19)
	t = epoch(now)
	weekk = stamp(t - 7 * 86400)
	h0 = t - t % 3600 - 23 * 3600
	for (i = 0; i < 24; i++) {
		hour[i] = substr(stamp(h0 + i * 3600), 1, 13)
		inhour[hour[i]] = 1
	}
	d0 = t - t % 86400 - 6 * 86400
	for (i = 0; i < 7; i++) {
		day[i] = substr(stamp(d0 + i * 86400), 1, 10)
		inday[day[i]] = 1
	}
}

{
	ts = match($0, /"ts":"[^"]*"/) ? substr($0, RSTART + 6, RLENGTH - 7) : ""
	tsk = substr(ts, 1, 19)
	if (ts == "" || tsk > nowk) next
	op = match($0, /"op":"[^"]*"/) ? substr($0, RSTART + 6, RLENGTH - 7) : ""
	repo = match($0, /"repo":"[^"]*"/) ? substr($0, RSTART + 8, RLENGTH - 9) : ""
	trig = match($0, /"trigger":"[^"]*"/) ? substr($0, RSTART + 11, RLENGTH - 12) : ""
	mach = match($0, /"machine":"[^"]*"/) ? substr($0, RSTART + 11, RLENGTH - 12) : ""
	st = match($0, /"status":"[^"]*"/) ? substr($0, RSTART + 10, RLENGTH - 11) : "ok"
	failed = st == "error"
	by = match($0, /"bytes":[0-9]+/) ? substr($0, RSTART + 8, RLENGTH - 8) + 0 : 0

	if (!(mach in seen)) seen[mach] = ""
	if (op == "push" && st == "ok" && tsk > seen[mach]) seen[mach] = tsk

	h = substr(ts, 1, 13)
	if (op == "push" && h in inhour) {
		pushes[h]++
		if (failed) pfailed[h]++
	}
	if (st == "ok") {
		d = substr(ts, 1, 10)
		if (d in inday) {
			if (op == "push") pushed[d] += by
			else if (op == "pull") pulled[d] += by
		}
	}
	if (tsk >= weekk) {
		runs[repo]++
		truns[trig]++
		if (failed) {
			errors[repo]++
			terrors[trig]++
			# >=: of errors in the same second, the later row wins
			if (!(repo in lastts) || tsk >= lastts[repo]) {
				lastts[repo] = tsk
				lasterr[repo] = match($0, /"error":"[^"]*"/) ? substr($0, RSTART + 9, RLENGTH - 10) : ""
			}
		}
	}
}

END {
	for (i = 0; i < 24; i++)
		printf "pushes_per_hour\t%s:00:00Z\t%d\t%d\n", hour[i], pushes[hour[i]], pfailed[hour[i]]
	for (i = 0; i < 7; i++)
		printf "bytes_per_day\t%s\t%.0f\t%.0f\n", day[i], pushed[day[i]], pulled[day[i]]
	for (r in runs)
		printf "repos\t%s\t%d\t%d\t%s\n", r, runs[r], errors[r], (r in lasterr) ? lasterr[r] : "null"
	for (m in seen)
		printf "machines\t%s\t%s\n", m, seen[m] == "" ? "null" : seen[m] "Z"
	for (g in truns)
		printf "triggers\t%s\t%d\t%d\n", g, truns[g], terrors[g]
}

# epoch returns the Unix time of "YYYY-MM-DDTHH:MM:SS..." read as UTC.
function epoch(s,    y, m, d, era, yoe, doy, doe) {
	y = substr(s, 1, 4) + 0
	m = substr(s, 6, 2) + 0
	d = substr(s, 9, 2) + 0
	# days from civil (Howard Hinnant's algorithm)
	if (m <= 2) y--
	era = int(y / 400)
	yoe = y - era * 400
	doy = int((153 * (m > 2 ? m - 3 : m + 9) + 2) / 5) + d - 1
	doe = yoe * 365 + int(yoe / 4) - int(yoe / 100) + doy
	return (era * 146097 + doe - 719468) * 86400 + substr(s, 12, 2) * 3600 + substr(s, 15, 2) * 60 + substr(s, 18, 2)
}

# stamp formats Unix time t (>= 0) as "YYYY-MM-DDTHH:MM:SS" in UTC.
function stamp(t,    z, s, era, doe, yoe, y, doy, mp, d, m) {
	s = t % 86400
	z = (t - s) / 86400 + 719468
	era = int(z / 146097)
	doe = z - era * 146097
	yoe = int((doe - int(doe / 1460) + int(doe / 36524) - int(doe / 146096)) / 365)
	y = yoe + era * 400
	doy = doe - (365 * yoe + int(yoe / 4) - int(yoe / 100))
	mp = int((5 * doy + 2) / 153)
	d = doy - int((153 * mp + 2) / 5) + 1
	m = mp < 10 ? mp + 3 : mp - 9
	if (m <= 2) y++
	return sprintf("%04d-%02d-%02dT%02d:%02d:%02d", y, m, d, int(s / 3600), int(s % 3600 / 60), s % 60)
}
