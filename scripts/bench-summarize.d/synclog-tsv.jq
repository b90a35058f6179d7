# Turns `synclog summarize --format json` into the canonical TSV the
# reference programs print (see summarize.awk for the lines), unsorted.
# Times are normalised to UTC RFC 3339 in whole seconds.
#
#   synclog summarize ... --format json --out - | jq -r -f synclog-tsv.jq
def utc: if . == null then "null" else sub("\\.[0-9]+"; "") | sub("\\+00:00$"; "Z") | fromdate | todate end;

(.pushes_per_hour[] | ["pushes_per_hour", (.hour | utc), .pushes, .failed]),
(.bytes_per_day[] | ["bytes_per_day", .day, .pushed, .pulled]),
(.repos[] | ["repos", .repo, .runs, .errors, .last_error // "null"]),
(.machines[] | ["machines", .machine, (.last_success | utc)]),
(.triggers[] | ["triggers", .trigger, .runs, .errors])
| @tsv
