# The numbers of `synclog summarize` with jq (1.6): one streaming reduce over
# the rows, then canonical TSV (see summarize.awk for the lines), unsorted.
#
#   jq -n -r --arg now 2026-04-16T23:47:13Z -f summarize.jq LOG...
#
# ts is compared by its first 19 characters: every ts synclog writes is UTC
# with "Z".
def stamp: todate[0:19]; # Unix time -> "YYYY-MM-DDTHH:MM:SS"

($now | fromdate) as $t
| $now[0:19] as $nowk
| (($t - 7 * 86400) | stamp) as $weekk
| [range(0; 24) as $i | ($t - $t % 3600 - (23 - $i) * 3600) | stamp[0:13]] as $hours
| [range(0; 7) as $i | ($t - $t % 86400 - (6 - $i) * 86400) | stamp[0:10]] as $days
| ($hours | map({(.): true}) | add) as $inhour
| ($days | map({(.): true}) | add) as $inday
| reduce (inputs | select(.ts[0:19] <= $nowk)) as $r (
    {hours: {}, days: {}, repos: {}, machines: {}, triggers: {}};
    ($r.status // "ok") as $st
    | ($st == "error") as $failed
    | $r.ts[0:19] as $k
    | (.machines[$r.machine] // "") as $last
    | .machines[$r.machine] = (if $r.op == "push" and $st == "ok" and $k > $last then $k else $last end)
    | if $r.op == "push" and $inhour[$r.ts[0:13]] then
        .hours[$r.ts[0:13]] |= [(.[0] // 0) + 1, (.[1] // 0) + (if $failed then 1 else 0 end)]
      else . end
    | if $st == "ok" and $inday[$r.ts[0:10]] then
        if $r.op == "push" then .days[$r.ts[0:10]][0] += $r.bytes
        elif $r.op == "pull" then .days[$r.ts[0:10]][1] += $r.bytes
        else . end
      else . end
    | if $k >= $weekk then
        .repos[$r.repo] |= (
          .runs += 1
          | if $failed then
              .errors += 1
              # >=: of errors in the same second, the later row wins
              | if .last_ts == null or $k >= .last_ts then .last_ts = $k | .last_error = $r.error else . end
            else . end)
        | .triggers[$r.trigger] |= (.runs += 1 | if $failed then .errors += 1 else . end)
      else . end
  )
| (. as $s | $hours[] | ["pushes_per_hour", "\(.):00:00Z", $s.hours[.][0] // 0, $s.hours[.][1] // 0]),
  (. as $s | $days[] | ["bytes_per_day", ., $s.days[.][0] // 0, $s.days[.][1] // 0]),
  (.repos | to_entries[] | ["repos", .key, .value.runs, .value.errors // 0, .value.last_error // "null"]),
  (.machines | to_entries[] | ["machines", .key, if .value == "" then "null" else .value + "Z" end]),
  (.triggers | to_entries[] | ["triggers", .key, .value.runs, .value.errors // 0])
| @tsv
